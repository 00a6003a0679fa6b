// A backtest thread's whole program: reads the events of each page of past leads it is sent from
// its own source, tallies the page on its own and answers with what it counted, in the order the
// pages came. ThreadedTally (api/pastLeads.ts) bundles it with the source's module and the engine
// into one script; started with the catalogs, the end instant and the source's options (plain
// data, copied once).
import { parentPort, workerData } from 'node:worker_threads';
import { BacktestTally } from '../core/backtest';
import type { ArrivedLead, PastEventSource } from './pastEvents';

type Message = { page: ArrivedLead[] } | { close: true };

export function serveTally(openPastEventSource: (options: unknown) => PastEventSource): void {
  const source = openPastEventSource(workerData.source);
  let done: Promise<void> = Promise.resolve();
  parentPort!.on('message', (message: Message) => {
    // One page at a time, in order; a failure ends the thread with it (ThreadedTally hears it).
    done = done.then(async () => {
      if ('close' in message) {
        await source.close?.();
        parentPort!.close();
        return;
      }
      const tally = new BacktestTally(workerData.catalogs, workerData.end);
      tally.addPage(await source.pastLeads(message.page));
      parentPort!.postMessage(tally.part());
    });
  });
}
