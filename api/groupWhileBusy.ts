// Requests that arrive while the same work is under way wait for it and then go together, one
// statement for all (group commit); a request that finds nothing under way goes at once, after the
// event loop's current turn. Under load, many requests share a database round trip; idle, none waits.
import DataLoader from 'dataloader';

export function groupWhileBusy<Key, Value>(work: (keys: readonly Key[]) => Promise<Array<Value | Error>>, maxGroup: number): DataLoader<Key, Value> {
  let underWay: Promise<unknown> = Promise.resolve();
  return new DataLoader<Key, Value>(
    (keys) => {
      const done = work(keys);
      underWay = done.catch(() => undefined);
      return done;
    },
    { cache: false, maxBatchSize: maxGroup, batchScheduleFn: (go) => void underWay.then(() => setImmediate(go)) },
  );
}
