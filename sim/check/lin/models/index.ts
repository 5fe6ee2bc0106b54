/** The model registry: names accepted by `checkHistory(…, "name")` and `zablab check --model`. */
import type { AnyModel } from '../model.js';
import { kvModel } from './kv.js';
import { multiRegisterModel } from './multi-register.js';
import { mutexModel } from './mutex.js';
import { casRegisterModel, registerModel } from './register.js';
import { znodeModel } from './znode.js';

export { casRegisterModel, registerModel, type RegisterOptions } from './register.js';
export { kvModel, type KvOptions } from './kv.js';
export { multiRegisterModel, type MultiRegisterOptions, type MultiRegisterState } from './multi-register.js';
export { mutexModel, type MutexOptions, type MutexState } from './mutex.js';
export { znodeModel, ZTree, type ZNode, type ZnodeOptions } from './znode.js';

const FACTORIES: Readonly<Record<string, () => AnyModel>> = {
  register: () => registerModel(),
  'cas-register': () => casRegisterModel(),
  'multi-register': () => multiRegisterModel(),
  mutex: () => mutexModel(),
  znode: () => znodeModel(),
  kv: () => kvModel(),
};

export const MODEL_NAMES: readonly string[] = Object.keys(FACTORIES);

/** The model registered under `name`, or undefined. */
export function modelByName(name: string): AnyModel | undefined {
  return Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name]() : undefined;
}
