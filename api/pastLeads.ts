// The leads that arrived in a window, with their stored events, for a backtest: read a page at a
// time (memory stays flat however many there are) and tallied as `nurture backtest` and the
// backtest page both run it. The command may tally the pages on worker threads, each thread
// reading its pages' events itself: the events are the bulk of a page, and parsing them is work.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { Pool } from 'pg';
import { placeOf } from '../channels/place';
import { BacktestTally, type BacktestPart, type BacktestReport } from '../core/backtest';
import type { Catalog } from '../core/protocol';
import { leadsArrivedBetween } from '../db/repositories/leads';
import type { ArrivedLead, PastEventSource } from './pastEvents';

/**
 * The source a tallying thread opens for itself: `module`'s `openPastEventSource(options)`, bundled
 * into the thread's program (api/pastEvents.ts's reads the database); `options` are plain data.
 */
export interface ThreadEventSource {
  module: string;
  options: unknown;
}

export interface PastLeadsOptions {
  /** Leads read at a time. */
  page?: number;
  /** Stop after this many leads (the first by id); all when absent. */
  limit?: number;
  /** Called after each page with the leads added so far. */
  onProgress?: (leads: number) => void;
}

/** Where pages of arrived leads go, in order, to have their events read and be tallied: a LocalTally or a ThreadedTally. */
interface PageTally {
  addPage(arrived: ArrivedLead[]): Promise<void>;
}

/** Adds the leads that arrived in [from, to] to the tally; resolves to how many were added. */
export async function tallyPastLeads(pool: Pool, tally: PageTally, from: Date, to: Date, options: PastLeadsOptions = {}): Promise<number> {
  const { page = 500, limit = Infinity, onProgress } = options;
  let afterId: string | null = null;
  let seen = 0;
  while (seen < limit) {
    const leads = await leadsArrivedBetween(pool, from, to, afterId, Math.min(page, limit - seen));
    if (!leads.length) break;
    await tally.addPage(leads.map(({ arrivedAt, ...lead }) => ({ lead: { ...lead, ...placeOf(lead) }, start: arrivedAt.getTime() })));
    afterId = leads.at(-1)!.id;
    onProgress?.((seen += leads.length));
    // The engine's work is CPU: a process that also serves requests answers them between pages.
    await nextTurn();
  }
  return seen;
}

/** A tally on this thread, each page's events read from `source` first. */
export class LocalTally implements PageTally {
  constructor(
    private readonly tally: BacktestTally,
    private readonly source: PastEventSource,
  ) {}

  async addPage(arrived: ArrivedLead[]): Promise<void> {
    this.tally.addPage(await this.source.pastLeads(arrived));
  }
}

/**
 * A tallying thread's program: api/tallyThread.ts, the source's module and the engine as one
 * script, bundled by esbuild once per process and source when a thread first starts (the backtest
 * page loads this module and starts none). One script runs the engine faster than the modules tsx
 * loads one by one, each call across them through a getter (1.4× on one thread, 1.15× with two
 * side by side on two cores), and two threads are ready in 0.8 s instead of 1.2.
 */
const threadPrograms = new Map<string, string>();
function tallyThreadProgram(sourceModule: string): string {
  let program = threadPrograms.get(sourceModule);
  if (program === undefined) {
    const contents = `import { serveTally } from ${JSON.stringify(require.resolve('./tallyThread'))};
      import { openPastEventSource } from ${JSON.stringify(sourceModule)};
      serveTally(openPastEventSource);`;
    program = buildSync({ stdin: { contents, resolveDir: __dirname, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' }).outputFiles[0]!.text;
    threadPrograms.set(sourceModule, program);
  }
  return program;
}

/** One worker thread, reading and tallying the pages it is sent one after another and answering in that order. */
class TallyThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (part: BacktestPart) => void; reject: (err: Error) => void }[] = [];
  private readonly exited: Promise<number>;
  /** Why the thread ended (its error when it failed): pages sent after are refused with it. */
  private failure?: Error;

  constructor(catalogs: { live: Catalog; candidate: Catalog }, end: number, source: ThreadEventSource) {
    this.worker = new Worker(tallyThreadProgram(source.module), { eval: true, workerData: { catalogs, end, source: source.options } });
    this.worker.on('message', (part: BacktestPart) => this.waiting.shift()?.resolve(part));
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    // However it ended, a thread answers no more pages: those waiting are refused too.
    void this.exited.then((code) => this.fail(new Error(`a backtest thread ended (exit code ${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const page of this.waiting.splice(0)) page.reject(this.failure);
  }

  tally(arrived: ArrivedLead[]): Promise<BacktestPart> {
    const part = new Promise<BacktestPart>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ page: arrived });
    });
    // Awaited in page order, maybe after a later page failed: not an unhandled rejection meanwhile.
    part.catch(() => undefined);
    return part;
  }

  /** Asks the thread to close its source and end; ended at once if it does not within a few seconds. */
  async stop(): Promise<void> {
    this.worker.postMessage({ close: true });
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(timeout);
  }
}

/**
 * A backtest tally whose pages are read and tallied on `jobs` worker threads, each page on its own,
 * and merged in the order the pages came: the report is byte for byte the one BacktestTally gives.
 * Two pages a thread at most are in flight, so memory stays flat however many leads there are.
 */
export class ThreadedTally implements PageTally {
  private readonly merged: BacktestTally;
  private readonly threads: TallyThread[];
  /** Pages sent and not merged yet, oldest first. */
  private readonly inFlight: Promise<BacktestPart>[] = [];
  private sent = 0;

  constructor(catalogs: { live: Catalog; candidate: Catalog }, end: number, jobs: number, source: ThreadEventSource) {
    this.merged = new BacktestTally(catalogs, end);
    this.threads = Array.from({ length: jobs }, () => new TallyThread(catalogs, end, source));
  }

  async addPage(arrived: ArrivedLead[]): Promise<void> {
    this.inFlight.push(this.threads[this.sent++ % this.threads.length]!.tally(arrived));
    while (this.inFlight.length > 2 * this.threads.length) this.merged.merge(await this.inFlight.shift()!);
  }

  /** The report once every page sent is tallied. */
  async report(): Promise<BacktestReport> {
    for (const part of this.inFlight.splice(0)) this.merged.merge(await part);
    return this.merged.report();
  }

  /** Stops the threads (they would keep the process alive). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }
}
