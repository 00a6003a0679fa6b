// A backtest thread's whole program: tallies each page of past leads it is sent on its own and
// answers with what it counted. ThreadedTally (api/pastLeads.ts) bundles it with the engine into one
// script; started with the catalogs (plain data, copied once) and the end instant.
import { parentPort, workerData } from 'node:worker_threads';
import { BacktestTally, type PastLead } from '../core/backtest';

parentPort!.on('message', (leads: PastLead[]) => {
  const tally = new BacktestTally(workerData.catalogs, workerData.end);
  tally.addPage(leads);
  parentPort!.postMessage(tally.part());
});
