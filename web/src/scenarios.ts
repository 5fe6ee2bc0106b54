/**
 * The scenarios the lab offers: every file under scenarios/ (the bug zoo included, as
 * it grows) plus the lab's own teaching examples in web/scenarios/. They are bundled
 * as text at build time; the worker validates a scenario against the JSON Schema when
 * it runs it, so a broken file shows its error instead of breaking the page.
 */
import type { Scenario } from '../../sim/scenario/types.js';

export interface BundledScenario {
  /** As `zablab run` names it: the path under scenarios/ without .json; lab examples are "lab/…". */
  name: string;
  scenario?: Scenario;
  error?: string;
}

const repo = import.meta.glob(['../../scenarios/**/*.json', '!**/*.schema.json'], { eager: true, query: '?raw', import: 'default' }) as Record<string, string>;
const lab = import.meta.glob('../scenarios/*.json', { eager: true, query: '?raw', import: 'default' }) as Record<string, string>;

const GROUP_ORDER = ['Lab examples', 'Scenarios', 'Bug zoo'];

function load(path: string, text: string, name: string): BundledScenario {
  try {
    const doc = JSON.parse(text) as Scenario;
    // Not a scenario (e.g. a JSON Schema next to them): not offered.
    if (typeof doc !== 'object' || doc === null || typeof doc.title !== 'string' || typeof doc.cluster !== 'object') return { name };
    return { name, scenario: doc };
  } catch (error) {
    return { name, error: `${path}: ${(error as Error).message}` };
  }
}

export const SCENARIOS: BundledScenario[] = [
  ...Object.entries(lab).map(([path, text]) => load(path, text, `lab/${path.replace(/^.*\/scenarios\//, '').replace(/\.json$/, '')}`)),
  ...Object.entries(repo).map(([path, text]) => load(path, text, path.replace(/^.*\/scenarios\//, '').replace(/\.json$/, ''))),
]
  .filter((s) => s.scenario !== undefined || s.error !== undefined)
  .sort((a, b) => GROUP_ORDER.indexOf(groupOf(a.name)) - GROUP_ORDER.indexOf(groupOf(b.name)) || a.name.localeCompare(b.name));

export function findScenario(name: string): BundledScenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** A scenario group for the picker: lab examples first, then the repository's, then the bug zoo. */
export function groupOf(name: string): string {
  if (name.startsWith('lab/')) return 'Lab examples';
  if (name.startsWith('bugs/')) return 'Bug zoo';
  return 'Scenarios';
}
