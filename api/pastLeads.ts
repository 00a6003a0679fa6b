// The leads that arrived in a window, with their stored events, for a backtest: read a page at a
// time (memory stays flat however many there are) and added to the tally as `nurture backtest` and
// the backtest page both run it; the command may tally the pages on worker threads.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { Pool } from 'pg';
import { placeOf } from '../channels/place';
import { BacktestTally, type BacktestPart, type BacktestReport, type PastLead } from '../core/backtest';
import type { LeadEvent } from '../core/model/events';
import type { Catalog } from '../core/protocol';
import { eventsOfLeads } from '../db/repositories/events';
import { leadsArrivedBetween } from '../db/repositories/leads';

export interface PastLeadsOptions {
  /** Leads read at a time. */
  page?: number;
  /** Stop after this many leads (the first by id); all when absent. */
  limit?: number;
  /** Called after each page with the leads added so far. */
  onProgress?: (leads: number) => void;
}

/** Where pages of past leads go, in order: a BacktestTally, or a ThreadedTally. */
interface PageTally {
  addPage(leads: PastLead[]): void | Promise<void>;
}

/** Adds the leads that arrived in [from, to] to the tally, each with its events up to `to`; resolves to how many were added. */
export async function tallyPastLeads(pool: Pool, tally: PageTally, from: Date, to: Date, options: PastLeadsOptions = {}): Promise<number> {
  const { page = 500, limit = Infinity, onProgress } = options;
  let afterId: string | null = null;
  let seen = 0;
  while (seen < limit) {
    const leads = await leadsArrivedBetween(pool, from, to, afterId, Math.min(page, limit - seen));
    if (!leads.length) break;
    const eventsByLead = new Map<string, LeadEvent[]>();
    for (const event of await eventsOfLeads(pool, leads.map((lead) => lead.id), to)) {
      const events = eventsByLead.get(event.leadId) ?? [];
      events.push(event);
      eventsByLead.set(event.leadId, events);
    }
    await tally.addPage(leads.map(({ arrivedAt, ...lead }) => ({ lead: { ...lead, ...placeOf(lead) }, start: arrivedAt.getTime(), events: eventsByLead.get(lead.id) ?? [] })));
    afterId = leads.at(-1)!.id;
    onProgress?.((seen += leads.length));
    // The engine's work is CPU: a process that also serves requests answers them between pages.
    await nextTurn();
  }
  return seen;
}

/**
 * The tallying threads' program (api/tallyThread.ts) and the engine as one script, bundled by
 * esbuild once per process when a thread first starts (the backtest page loads this module and
 * starts none). One script runs the engine faster than the modules tsx loads one by one, each call
 * across them through a getter (1.4× on one thread, 1.15× with two side by side on two cores), and
 * two threads are ready in 0.8 s instead of 1.2.
 */
let threadProgram: string | undefined;
function tallyThreadProgram(): string {
  threadProgram ??= buildSync({ entryPoints: [require.resolve('./tallyThread')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' }).outputFiles[0]!.text;
  return threadProgram;
}

/** One worker thread, tallying the pages it is sent one after another and answering in that order. */
class TallyThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (part: BacktestPart) => void; reject: (err: Error) => void }[] = [];

  constructor(catalogs: { live: Catalog; candidate: Catalog }, end: number) {
    this.worker = new Worker(tallyThreadProgram(), { eval: true, workerData: { catalogs, end } });
    this.worker.on('message', (part: BacktestPart) => this.waiting.shift()?.resolve(part));
    this.worker.on('error', (err) => this.waiting.splice(0).forEach((page) => page.reject(err)));
  }

  tally(leads: PastLead[]): Promise<BacktestPart> {
    const part = new Promise<BacktestPart>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(leads);
    });
    // Awaited in page order, maybe after a later page failed: not an unhandled rejection meanwhile.
    part.catch(() => undefined);
    return part;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * A backtest tally whose pages are tallied on `jobs` worker threads, each page on its own, and
 * merged in the order the pages came: the report is byte for byte the one BacktestTally gives. Two
 * pages a thread at most are in flight, so memory stays flat however many leads there are.
 */
export class ThreadedTally implements PageTally {
  private readonly merged: BacktestTally;
  private readonly threads: TallyThread[];
  /** Pages sent and not merged yet, oldest first. */
  private readonly inFlight: Promise<BacktestPart>[] = [];
  private sent = 0;

  constructor(catalogs: { live: Catalog; candidate: Catalog }, end: number, jobs: number) {
    this.merged = new BacktestTally(catalogs, end);
    this.threads = Array.from({ length: jobs }, () => new TallyThread(catalogs, end));
  }

  async addPage(leads: PastLead[]): Promise<void> {
    this.inFlight.push(this.threads[this.sent++ % this.threads.length]!.tally(leads));
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

