/**
 * The self-contained HTML report: one file, its script and styles inline, that opens from
 * disk with no network — a file a user can attach to a bug report or a lesson.
 *
 * The text of the page (the story, the verdicts, the figures, the command that
 * reproduces the run) is written here, every piece of it escaped: a scenario's title or
 * explanation is shown as text, never as HTML. What needs drawing (the plots, the
 * checker's explanation, a sweep's histograms) is drawn by the bundled script
 * (web/src/report-page.ts, built by web/build-report.mjs) from a JSON block whose `<` are
 * escaped, so no data can close the script element.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, writeTextFile } from './io.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that can sit inside a <script> element: no `<` (so no `</script>`), no line separators JavaScript would choke on. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A POSIX shell word: quoted unless it is plainly safe. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web', 'build-report.mjs'))) return dir;
    dir = dirname(dir);
  }
  throw new UsageError('cannot find the zablab package root for the report script');
}

/** The bundled report script and stylesheet (dist/report/, built by `npm run build`). */
export function reportAssets(): { script: string; css: string } {
  const dir = join(packageRoot(), 'dist', 'report');
  const script = join(dir, 'report.js');
  const css = join(dir, 'report.css');
  if (!existsSync(script) || !existsSync(css)) throw new UsageError(`--report: the report's script is not built (${script}): run npm run build`);
  // Inside an inline <script>, "</script" would end the element: the bundle never needs it literally.
  return { script: readFileSync(script, 'utf8').replace(/<\/(script)/gi, '<\\/$1'), css: readFileSync(css, 'utf8') };
}

/** The same file, whichever path names it (symlinks, hard links, ./ and ../). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  try {
    if (realpathSync(a) === realpathSync(b)) return true;
    const [sa, sb] = [statSync(a), statSync(b)];
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/** No output may overwrite an input: the report path must name none of them. */
export function refuseToOverwrite(output: string, inputs: readonly string[], flag = '--report'): void {
  for (const input of inputs) {
    if (sameFile(output, input)) throw new UsageError(`${flag} ${output}: that is an input file (${input}); refusing to overwrite it`);
  }
}

export interface ReportPage {
  title: string;
  /** The page's HTML body, already escaped where it holds text. */
  body: string;
  /** What the script draws from. */
  data: unknown;
}

export function reportHtml(page: ReportPage): string {
  const { script, css } = reportAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(page.title)}</title>
<style>
${css}
</style>
</head>
<body>
<main>
${page.body}
</main>
<script type="application/json" id="zablab-report-data">${jsonForScript(page.data)}</script>
<script>
${script}
</script>
</body>
</html>
`;
}

export function writeReport(file: string, page: ReportPage, inputs: readonly string[]): void {
  refuseToOverwrite(file, inputs);
  writeTextFile(file, reportHtml(page));
}
