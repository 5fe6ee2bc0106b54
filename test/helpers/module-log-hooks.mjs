// Module hooks for test/cli/start.test.ts: writes "loaded <url>" to stderr for every
// module of the package that is loaded (node --import ./module-log.mjs …).
import { writeSync } from 'node:fs';

export async function load(url, context, next) {
  if (url.includes('/dist')) writeSync(2, `loaded ${url}\n`);
  return next(url, context);
}
