// A full collection on demand, so that heapUsed right after it is the memory still held.
import v8 from 'node:v8';
import vm from 'node:vm';

/** `global.gc` when node runs with --expose-gc, else the same function obtained at run time. */
export function gcFunction(): () => void {
  if (typeof global.gc === 'function') return global.gc as () => void;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
