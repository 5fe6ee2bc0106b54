#!/usr/bin/env node
// `npm test`'s first step: the one system package the test suite needs that npm cannot
// install is Chromium (the browser tests drive it through playwright-core). Without it,
// one line says what to install, before minutes of build and tests, instead of a stack.
import { existsSync } from 'node:fs';

const chromium = process.env.ZABLAB_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  process.stderr.write(
    `npm test: the browser tests need Chromium, not found at ${chromium}. Install the system package chromium (Debian/Ubuntu: sudo apt-get install chromium), or set ZABLAB_CHROMIUM to a Chromium binary.\n`,
  );
  process.exit(1);
}
