/** Finding, loading and describing scenario files for the CLI. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, ScenarioError } from '../scenario/load.js';
import { allBugs } from '../scenario/protocols.js';
import type { Scenario } from '../scenario/types.js';
import { UsageError, readTextFile } from './io.js';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCENARIO_DIR = join(PACKAGE_ROOT, 'scenarios');

export interface LoadedScenario {
  file: string;
  name: string;
  scenario: Scenario;
}

/** A scenario by path, or by name under scenarios/ (also scenarios/bugs/). */
export function resolveScenarioPath(arg: string): string {
  const candidates = [arg, `${arg}.json`, join(SCENARIO_DIR, arg), join(SCENARIO_DIR, `${arg}.json`), join(SCENARIO_DIR, 'bugs', `${arg}.json`)];
  for (const candidate of candidates) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new UsageError(`${arg}: no such scenario file (give a path, or a name from \`zablab list\`)`);
}

export function scenarioName(file: string): string {
  const abs = resolve(file);
  if (abs.startsWith(SCENARIO_DIR)) return relative(SCENARIO_DIR, abs).replace(/\.json$/, '');
  return basename(file).replace(/\.json$/, '');
}

export function loadScenario(arg: string): LoadedScenario {
  const file = resolveScenarioPath(arg);
  const text = readTextFile(file);
  try {
    const scenario = parseScenario(text, file, new Set(allBugs().map((bug) => bug.name)));
    return { file, name: scenarioName(file), scenario };
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
}

/** Every scenario file under scenarios/, sorted by name. */
export function listScenarioFiles(dir = SCENARIO_DIR): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json') && entry.name !== 'scenario.schema.json') files.push(path);
    }
  };
  walk(dir);
  return files.sort((a, b) => scenarioName(a).localeCompare(scenarioName(b)));
}

export function wrap(text: string, width = 88, indent = '  '): string {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line.length + word.length + 1 > width - indent.length && line !== '') {
        out.push(indent + line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    if (line) out.push(indent + line);
    out.push('');
  }
  return out.join('\n').trimEnd();
}
