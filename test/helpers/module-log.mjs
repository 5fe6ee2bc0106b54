// `node --import test/helpers/module-log.mjs …`: logs the package's modules as they load.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
