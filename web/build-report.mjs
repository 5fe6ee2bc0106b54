#!/usr/bin/env node
// Part of `npm run build`: bundles the HTML report's script (web/src/report-page.ts, with
// the lab's plot and linearizability drawing modules and d3) into one IIFE file with vite,
// and its stylesheet (web/report/report.css, plus the lab stylesheet's colour variables
// and its .verdict and .lin- rules, so the report draws the checker's explanation as the
// lab does) into dist/report/. `zablab run|sweep|swarm --report` inlines both, so a report
// is one file that needs no network.
import { build } from 'vite';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// scripts/build-dist.mjs passes the fresh build's report folder (dist.<stamp>/report).
const outDir = process.argv[2] ?? join(here, '..', 'dist', 'report');

await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    lib: { entry: join(here, 'src', 'report-page.ts'), formats: ['iife'], name: 'zablabReport', fileName: () => 'report.js' },
  },
});

/** The rules of the lab's stylesheet the report needs: its variables and the checker's drawing. */
function labRules(css) {
  const rules = [];
  const pattern = /([^{}]+)\{([^{}]*)\}/g;
  for (let match = pattern.exec(css); match !== null; match = pattern.exec(css)) {
    const selector = match[1].replace(/\/\*[\s\S]*?\*\//g, '').trim();
    if (selector === ':root' || selector.split(',').every((s) => /^\.(verdict|lin-|cand-)/.test(s.trim()))) rules.push(`${selector} {${match[2]}}`);
  }
  return rules.join('\n');
}

mkdirSync(outDir, { recursive: true });
const css = `${labRules(readFileSync(join(here, 'src', 'style.css'), 'utf8'))}\n${readFileSync(join(here, 'report', 'report.css'), 'utf8')}`;
writeFileSync(join(outDir, 'report.css'), css);
