/**
 * A clean first run: the README's quick start names the system package the browser tests
 * need, and `npm test` without it says what to install in one line, not a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

describe('a clean first run', () => {
  it('the README quick start installs chromium before npm test', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The lab'));
    expect(quickStart).toMatch(/apt-get install chromium[\s\S]*npm test/);
  });

  it('npm test without Chromium names the package to install, in one line', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const first = pkg.scripts.test.split('&&')[0].trim();
    expect(first).toBe('node scripts/check-test-deps.mjs');
    const missing = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-test-deps.mjs')], { encoding: 'utf8', env: { ...process.env, ZABLAB_CHROMIUM: '/nonexistent/chromium' } });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^npm test: the browser tests need Chromium, not found at \/nonexistent\/chromium\. Install the system package chromium \(Debian\/Ubuntu: sudo apt-get install chromium\)[^\n]*\n$/);
    const present = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-test-deps.mjs')], { encoding: 'utf8', env: { ...process.env, ZABLAB_CHROMIUM: process.execPath } });
    expect(present.status).toBe(0);
  });
});
