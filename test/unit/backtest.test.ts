import fc from 'fast-check';
import { ThreadedTally } from '../../api/pastLeads';
import { placeOf } from '../../channels/place';
import { BacktestTally, type PastLead } from '../../core/backtest';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { catalog as candidate } from '../../examples/candidate-catalog';
import { foldTimeline, runTimeline, type TimelineOptions } from '../../core/simulate';
import type { Catalog, Command } from '../../core/protocol';
import { buildCatalog } from '../../sequences/catalog';
import { defaultCatalog, librarySequences } from '../../sequences/library';

const DAY = 86_400_000;
const start = Date.parse('2026-06-01T08:00:00Z');
const live = defaultCatalog();

function pastLead(id: string, events: [day: number, type: LeadEvent['type'], properties?: Record<string, unknown>][], profile: Partial<Lead> = {}): PastLead {
  const lead: Lead = { id, email: `${id}@northwind.example`, title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin', ...profile };
  return {
    lead: { ...lead, ...placeOf(lead) },
    start,
    events: events.map(([day, type, properties = {}], n) => ({ eventId: `${id}-${n}`, leadId: id, type, occurredAt: new Date(start + day * DAY).toISOString(), properties }) as LeadEvent),
  };
}

const pricing = { url: 'https://example.com/pricing', category: 'pricing' };
/** A lead that fits only in part (not in a target industry) reaches a total of 30, not 40: an MQL under the candidate only. */
const leads = [
  pastLead('a-reader', [[1, 'email_open'], [3, 'page_view', { url: 'https://example.com/blog/1', category: 'blog' }], [9, 'page_view', pricing]], { industry: 'retail', title: 'Analyst' }),
  pastLead('b-quiet', []),
  pastLead('c-buyer', [[2, 'page_view', pricing], [2.1, 'content_download', { assetId: 'guide-1', kind: 'pricing_guide' }], [4, 'demo_request']]),
];
const end = start + 60 * DAY;

function backtest() {
  const tally = new BacktestTally({ live, candidate }, end);
  for (const past of leads) tally.add(past.lead.id, past);
  return tally.report();
}

describe('backtest', () => {
  it('gives the same report for the same leads, byte for byte', () => {
    expect(JSON.stringify(backtest())).toBe(JSON.stringify(backtest()));
  });

  it('finds no change when the candidate is the live catalog', () => {
    const tally = new BacktestTally({ live, candidate: defaultCatalog() }, end);
    for (const past of leads) tally.add(past.lead.id, past);
    const report = tally.report();
    expect(report.changedPaths).toEqual({ leads: 0, examples: [] });
    expect(report.touchesPerLead.live).toBe(report.touchesPerLead.candidate);
    expect(report.leads).toBe(3);
    expect(report.touchesPerLead.live).toBeGreaterThan(0);
  });

  it('shows what a lower MQL bar changes: more MQLs, and the lead whose path changes with where', () => {
    const report = backtest();
    expect(report.mqls.candidate.count).toBeGreaterThan(report.mqls.live.count);
    expect(report.handoffs.live.count).toBe(1);
    expect(report.handoffs.candidate.count).toBe(1);
    expect(report.changedPaths.leads).toBeGreaterThanOrEqual(1);
    expect(report.changedPaths.examples[0]).toMatchObject({ leadId: 'a-reader', candidate: expect.stringMatching(/stage lead → mql$/) });
  });
});

describe('a candidate that moves only the qualification bars and changes the steps of a sequence', () => {
  const EVENT_TYPES = ['page_view', 'email_open', 'email_click', 'content_download', 'demo_request'] as const;
  const PROPERTIES: Record<(typeof EVENT_TYPES)[number], Record<string, unknown>> = {
    page_view: pricing,
    email_open: {},
    email_click: {},
    content_download: { assetId: 'guide-1', kind: 'guide' },
    demo_request: {},
  };
  const leadArb = fc.record({
    events: fc.array(fc.tuple(fc.double({ min: 0, max: 55, noNaN: true }), fc.constantFrom(...EVENT_TYPES)), { maxLength: 14 }),
    industry: fc.constantFrom('software', 'retail'),
    title: fc.constantFrom('Head of Operations', 'Analyst', 'VP Sales'),
  });
  const barsArb = fc.record({
    mql: fc.record({ fit: fc.integer({ min: 0, max: 40 }), intent: fc.integer({ min: 0, max: 40 }), total: fc.integer({ min: 10, max: 80 }) }),
    handoff: fc.record({ total: fc.integer({ min: 20, max: 100 }), recentWindow: fc.constantFrom('24h', '72h', '7d') }),
  });

  /** The library with the end users' sequence (analysts, operations) waiting 2 days where it waited 3, under `model`. */
  const withShorterEndUserWaits = (model: Catalog['model']) =>
    buildCatalog({
      ...live,
      model,
      sequences: librarySequences.map((definition) => (definition.id === 'end-user' ? { ...definition, steps: definition.steps.map((step) => (step.kind === 'wait' && step.duration === '3d' ? { ...step, duration: '2d' } : step)) } : definition)),
    });

  it('reports what replaying each lead under both catalogs reports, though it replays a lead once until the runs may part', () => {
    fc.assert(
      fc.property(fc.array(leadArb, { minLength: 1, maxLength: 12 }), barsArb, fc.boolean(), (drawn, bars, changeSequence) => {
        const past = drawn.map(({ events, industry, title }, n) =>
          pastLead(`lead-${n}`, [...events].sort((a, b) => a[0] - b[0]).map(([day, type]) => [day, type, PROPERTIES[type]]), { industry, title }),
        );
        const change = (catalog: Catalog) => (changeSequence ? withShorterEndUserWaits(catalog.model) : catalog);
        const shared = change(defaultCatalog({ qualification: bars }));
        // The same and a rest after recycling no lead here reaches: every lead replayed under each catalog.
        const replayedTwice = change(defaultCatalog({ qualification: { ...bars, recontactAfter: { other: '31d' } } }));
        const reports = [shared, replayedTwice].map((other) => {
          const tally = new BacktestTally({ live, candidate: other }, end);
          tally.addPage(past);
          return JSON.stringify(tally.report());
        });
        expect(reports[0]).toBe(reports[1]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the backtest folding each lead in place', () => {
  it('gives the commands and the final state a copy per step gives, step for step', () => {
    for (const catalog of [live, candidate]) {
      for (const past of leads) {
        const options: TimelineOptions = { catalog, lead: past.lead, start: past.start, end, inputs: past.events.map((event) => ({ at: Date.parse(event.occurredAt), input: { kind: 'event', event } })) };
        const copied = runTimeline(options);
        const inPlace: Command[][] = [];
        // Serialised as they come: in place, the state they were made from changes after.
        const final = foldTimeline(options, (output) => void inPlace.push(JSON.parse(JSON.stringify(output.commands)) as Command[]), true);
        expect(inPlace).toEqual([copied.created, ...copied.steps.map((taken) => taken.output)].map((output) => output.commands));
        expect(inPlace.flat().length).toBeGreaterThan(0);
        expect(final).toEqual(copied.state);
      }
    }
  });
});

describe('a backtest tallied in pages', () => {
  const many = Array.from({ length: 4 }, (_, round) => leads.map((past) => ({ ...past, lead: { ...past.lead, id: `${past.lead.id}-${round}` } }))).flat();
  const whole = new BacktestTally({ live, candidate }, end);
  whole.addPage(many);

  it('reports byte for byte what one tally of the same leads in the same order reports, however the pages fall', () => {
    for (const pageSize of [1, 5, many.length]) {
      const merged = new BacktestTally({ live, candidate }, end);
      for (let from = 0; from < many.length; from += pageSize) {
        const page = new BacktestTally({ live, candidate }, end);
        page.addPage(many.slice(from, from + pageSize));
        merged.merge(structuredClone(page.part()));
      }
      expect(JSON.stringify(merged.report())).toBe(JSON.stringify(whole.report()));
    }
    expect(whole.report().changedPaths.examples.length).toBeGreaterThan(1);
  });

  it('reports the same on worker threads, whatever the number of threads', async () => {
    for (const jobs of [2, 3]) {
      // Each thread gets the events itself: the pages it is sent carry the leads alone.
      const eventsByLead = Object.fromEntries(many.map((past) => [past.lead.id, past.events]));
      const threaded = new ThreadedTally({ live, candidate }, end, jobs, { module: require.resolve('../support/givenPastEvents'), options: { eventsByLead } });
      try {
        for (let from = 0; from < many.length; from += 2) await threaded.addPage(many.slice(from, from + 2).map(({ lead, start }) => ({ lead, start })));
        expect(JSON.stringify(await threaded.report())).toBe(JSON.stringify(whole.report()));
      } finally {
        await threaded.close();
      }
    }
  });

  it('fails with the reason when a thread cannot read its events, and so does a page sent to it after', async () => {
    // No events by lead: the thread's source throws reading a page, and the thread ends.
    const threaded = new ThreadedTally({ live, candidate }, end, 1, { module: require.resolve('../support/givenPastEvents'), options: { eventsByLead: null } });
    const page = (n: number) => many.slice(n, n + 1).map(({ lead, start }) => ({ lead, start }));
    try {
      await threaded.addPage(page(0));
      await expect(threaded.report()).rejects.toThrow(/null/);
      await threaded.addPage(page(1));
      await expect(threaded.report()).rejects.toThrow(/null/);
    } finally {
      await threaded.close();
    }
  });
});
