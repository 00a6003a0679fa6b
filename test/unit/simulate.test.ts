import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../cli/inputs';
import { runSimulate } from '../../cli/simulate';
import { isHoldout } from '../../core/model/hash';
import { simulate, type SimulationOptions } from '../../core/simulate';
import { defaultCatalog } from '../../sequences/library';
import { at, makeEvent, makeLead, pageView } from '../support/engineDriver';
import { channelCatalog } from '../support/channelTouches';
import { placeOf } from '../../channels/place';

const START = at('2025-03-03T09:00:00Z'); // a Monday, 10:00 in Berlin
const LEAD = { id: 'dana', email: 'dana@northwind.example', title: 'VP Finance', timezone: 'Europe/Berlin' };

describe('simulate()', () => {
  it('previews texts to a New York number without a time zone inside New York hours, as the engine will send them', () => {
    const lead = { id: 'ny-1', phone: '(212) 555-0147', country: 'US', source: 'channel-test', consent: { sms: true } };
    // 01:00 in New York.
    const result = simulate({ catalog: channelCatalog, lead: { ...lead, ...placeOf(lead) }, events: [], start: at('2026-03-11T05:00:00Z'), until: '8d', sequenceId: 'sms-drip' });
    const newYorkHour = (iso: string) => Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(Date.parse(iso)));
    expect(result.touches.length).toBeGreaterThanOrEqual(4);
    for (const touch of result.touches) expect([touch.channel, newYorkHour(touch.at) >= 9 && newYorkHour(touch.at) < 20]).toEqual(['sms', true]);
    expect(result.touches[0]!.at).toBe('2026-03-11T13:00:00.000Z');
  });

  const options = (): SimulationOptions => ({
    catalog: defaultCatalog({ holdoutPercent: 0 }),
    lead: makeLead(LEAD),
    events: [
      pageView('pricing', at('2025-03-07T10:00:00Z'), 'e-1'),
      makeEvent('email_click', at('2025-03-12T15:00:00Z'), {}, 'e-2'),
      makeEvent('unsubscribe', at('2025-04-02T08:00:00Z'), { channel: 'email' }, 'e-3'),
      makeEvent('demo_request', at('2025-04-20T12:00:00Z'), {}, 'e-4'),
    ],
    start: START,
    until: '90d',
  });

  it('gives byte-identical results for the same lead and timeline', () => {
    const first = JSON.stringify(simulate(options()));
    const second = JSON.stringify(simulate(options()));
    expect(second).toBe(first);
    expect(JSON.parse(first).touches.length).toBeGreaterThan(0);
  });

  it('does not depend on the order events are listed in, only on when they happened', () => {
    const given = options();
    const shuffled = { ...given, events: [...given.events].reverse() };
    expect(JSON.stringify(simulate(shuffled))).toBe(JSON.stringify(simulate(given)));
  });

  it('reports touches, stages, handoffs, notes and the final state', () => {
    // Pricing view on Friday, email unsubscribe on Saturday, demo request ten days later.
    const result = simulate({
      ...options(),
      events: [
        pageView('pricing', at('2025-03-07T10:00:00Z'), 'p-1'),
        makeEvent('unsubscribe', at('2025-03-08T10:00:00Z'), { channel: 'email' }, 'p-2'),
        makeEvent('demo_request', at('2025-03-20T12:00:00Z'), {}, 'p-3'),
      ],
    });
    expect(Object.keys(result).sort()).toEqual(['final', 'handoffs', 'notes', 'stages', 'touches']);
    // Monday 10:00 in Berlin (inside the email window), Thursday after the 3-day wait, and the
    // proof email pulled forward to 2 h after the pricing view.
    expect(result.touches).toEqual([
      { at: '2025-03-03T09:00:00.000Z', channel: 'email', template: 'economic-buyer/problem', sequence: 'economic-buyer', step: 'problem', tier: 'active' },
      { at: '2025-03-06T09:00:00.000Z', channel: 'email', template: 'economic-buyer/solution', sequence: 'economic-buyer', step: 'solution', tier: 'active' },
      { at: '2025-03-07T12:00:00.000Z', channel: 'email', template: 'economic-buyer/proof', sequence: 'economic-buyer', step: 'proof', tier: 'active' },
    ]);
    // After the unsubscribe every email step is skipped, and the preview says why.
    expect(result.notes).toContainEqual({ at: '2025-03-10T12:00:00.000Z', step: 'economic-buyer/roi-calculator', note: 'skipped: no_consent:unsubscribe' });
    // The demo request hands the lead to sales; it is an MQL by then.
    expect(result.handoffs).toEqual([{ at: '2025-03-20T12:00:00.000Z', reason: 'demo request', scores: expect.objectContaining({ fit: 20 }) }]);
    expect(result.stages).toEqual([expect.objectContaining({ at: '2025-03-20T12:00:00.000Z', from: 'lead', to: 'mql' })]);
    expect(result.final).toMatchObject({ stage: 'mql', holdout: false, scores: { fit: 20 } });
  });

  it('stops at the end of the horizon', () => {
    const result = simulate({ ...options(), until: '2d' });
    expect(result.touches.map((t) => t.step)).toEqual(['problem']);
    expect(result.handoffs).toEqual([]);
  });
});

describe('nurture simulate (runSimulate)', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const full = path.join(dir, name);
    fs.writeFileSync(full, text);
    return full;
  };
  const eventLine = (event: object) => JSON.stringify(event);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-simulate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const leadFile = () => file('lead.json', JSON.stringify(LEAD));
  const eventsFile = () =>
    file(
      'events.jsonl',
      [
        eventLine({ eventId: 'e-1', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'page_view', properties: { url: 'https://northwind.example/pricing', category: 'pricing' } }),
        '',
        eventLine({ eventId: 'e-2', leadId: 'dana', occurredAt: '2025-03-10T11:00:00Z', type: 'demo_request' }),
      ].join('\n'),
    );

  it('prints the documented JSON shape with --json', () => {
    // The CLI runs the default catalog, which holds out 10% of leads: this one is not held out.
    expect(isHoldout(LEAD.id, 10)).toBe(false);
    const text = runSimulate({ lead: leadFile(), events: eventsFile(), start: '2025-03-03T09:00:00Z', until: '14d', json: true });
    expect(text.endsWith('\n')).toBe(true);
    const result = JSON.parse(text);
    expect(Object.keys(result).sort()).toEqual(['final', 'handoffs', 'notes', 'stages', 'touches']);
    // Monday 10:00 Berlin, Thursday after the 3-day wait, then the pricing view on Friday 10:00 UTC
    // pulls the third email forward to 2 h later; the demo request on Monday ends the sequence.
    expect(result.touches.map((t: { at: string; step: string }) => `${t.at} ${t.step}`)).toEqual([
      '2025-03-03T09:00:00.000Z problem',
      '2025-03-06T09:00:00.000Z solution',
      '2025-03-07T12:00:00.000Z proof',
    ]);
    for (const touch of result.touches) expect(Object.keys(touch).sort()).toEqual(['at', 'channel', 'sequence', 'step', 'template', 'tier']);
    // At the demo request: intent = the pricing view 73 h old (10 × 0.5^(73/720) ≈ 9.3) + 30 = 39.3,
    // so the MQL rule (fit 20, intent 10, total 40) promotes the lead before the handoff starts.
    expect(result.stages).toEqual([{ at: '2025-03-10T11:00:00.000Z', from: 'lead', to: 'mql', reason: 'fit 20 ≥ 20, intent 39.3 ≥ 10 and total 59.3 ≥ 40' }]);
    expect(result.handoffs).toHaveLength(1);
    expect(result.handoffs[0]).toMatchObject({ at: '2025-03-10T11:00:00.000Z', reason: 'demo request' });
    expect(Object.keys(result.handoffs[0].scores).sort()).toEqual(['fit', 'intent', 'total']);
    expect(Array.isArray(result.notes)).toBe(true);
    expect(result.final).toEqual({ scores: expect.objectContaining({ fit: 20 }), tier: 'active', stage: 'mql', holdout: false });
  });

  it('starts at the first event when no --start is given', () => {
    const result = JSON.parse(runSimulate({ lead: leadFile(), events: eventsFile(), until: '1d', json: true }));
    // Friday 10:00 UTC: the first email goes out at once (11:00 in Berlin).
    expect(result.touches[0].at).toBe('2025-03-07T10:00:00.000Z');
  });

  it('prints a readable timeline without --json', () => {
    const text = runSimulate({ lead: leadFile(), events: eventsFile(), start: '2025-03-03T09:00:00Z', until: '14d' });
    expect(text.split('\n')[0]).toBe('simulation from 2025-03-03T09:00:00.000Z');
    expect(text).toContain('2025-03-03 09:00Z  touch    email   economic-buyer/problem [economic-buyer/problem] (active)');
    expect(text).toContain('handoff  demo request');
    expect(text).toMatch(/final {4}stage mql, tier active/);
  });

  it('previews the library texting a webinar attendee who opted in, at 09:00 where the number is', () => {
    const attendee = file('attendee.json', JSON.stringify({ id: 'kim', email: 'kim@northwind.example', phone: '+1 212 555 0182', firstName: 'Kim', source: 'webinar', consent: { sms: true } }));
    // 04:00 in New York.
    const result = JSON.parse(runSimulate({ lead: attendee, start: '2026-03-11T08:00:00Z', until: '1d', json: true }));
    expect(result.touches[0]).toMatchObject({ channel: 'sms', sequence: 'event-follow-up', step: 'thanks', template: 'event-follow-up/thanks', at: '2026-03-11T13:00:00.000Z' });
  });

  it('names the file and field of a bad lead', () => {
    const bad = file('bad-lead.json', JSON.stringify({ id: 'x', email: 'not-an-email', timezone: 'Mars/Base' }));
    expect(() => runSimulate({ lead: bad, start: '2025-03-03T09:00:00Z', until: '1d' })).toThrow(InputError);
    expect(() => runSimulate({ lead: bad, start: '2025-03-03T09:00:00Z', until: '1d' })).toThrow(`${bad}: email: `);
    expect(() => runSimulate({ lead: bad, start: '2025-03-03T09:00:00Z', until: '1d' })).toThrow(`${bad}: timezone: must be an IANA time zone`);
  });

  // cli/main.ts prints one line for an InputError and a full stack for anything else, as for a bug;
  // a mistyped --lead or --events path is the user's input problem, not a bug.
  it('reports a lead or events file that does not exist as an InputError naming the file', () => {
    const missing = path.join(dir, 'no-such-lead.json');
    expect(() => runSimulate({ lead: missing, start: '2025-03-03T09:00:00Z', until: '1d' })).toThrow(InputError);
    expect(() => runSimulate({ lead: leadFile(), events: path.join(dir, 'no-such-events.jsonl'), until: '1d' })).toThrow(InputError);
  });

  it('names the file of a lead that is not JSON', () => {
    const bad = file('lead.txt', 'id: x');
    expect(() => runSimulate({ lead: bad, start: '2025-03-03T09:00:00Z', until: '1d' })).toThrow(new RegExp(`^${escape(bad)}: not valid JSON`));
  });

  it('names the file, line and field of a bad event in JSON lines, counting blank lines', () => {
    const events = file(
      'events.jsonl',
      [
        eventLine({ eventId: 'e-1', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'opt_down' }),
        '',
        eventLine({ eventId: 'e-2', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'page_view', properties: { url: 'pricing', category: 'pricing' } }),
        eventLine({ eventId: 'e-3', leadId: 'dana', occurredAt: '7 March', type: 'opt_down' }),
      ].join('\n'),
    );
    let error: unknown;
    try {
      runSimulate({ lead: leadFile(), events, until: '1d' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    const lines = (error as Error).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${escape(events)}:3: properties\\.url: `));
    expect(lines[1]).toMatch(new RegExp(`^${escape(events)}:4: occurredAt: `));
  });

  it('names the line of an event line that is not JSON', () => {
    const events = file('events.jsonl', [eventLine({ eventId: 'e-1', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'opt_down' }), '{"eventId": '].join('\n'));
    expect(() => runSimulate({ lead: leadFile(), events, until: '1d' })).toThrow(new RegExp(`^${escape(events)}:2: not valid JSON`));
  });

  it('names the index and field of a bad event in a JSON array', () => {
    const events = file(
      'events.json',
      JSON.stringify([
        { eventId: 'e-1', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'opt_down' },
        { eventId: 'e-2', leadId: 'dana', occurredAt: '2025-03-07T10:00:00Z', type: 'unsubscribe', properties: { channel: 'fax' } },
      ]),
    );
    expect(() => runSimulate({ lead: leadFile(), events, until: '1d' })).toThrow(new RegExp(`^${escape(events)}: \\[1\\]: properties\\.channel: `));
  });

  it('rejects an unknown --sequence, a bad --until and a missing --start', () => {
    expect(() => runSimulate({ lead: leadFile(), start: '2025-03-03T09:00:00Z', until: '1d', sequence: 'nope' })).toThrow(/^--sequence: unknown sequence "nope" \(known: .*education/);
    expect(() => runSimulate({ lead: leadFile(), start: '2025-03-03T09:00:00Z', until: 'soon' })).toThrow('--until: "soon" must be a duration such as 90d');
    expect(() => runSimulate({ lead: leadFile(), until: '1d' })).toThrow('--start is needed when there are no events');
    expect(() => runSimulate({ lead: leadFile(), start: 'Monday', until: '1d' })).toThrow('--start: "Monday" is not an ISO date-time');
  });

  it('enrols in the sequence given with --sequence', () => {
    const result = JSON.parse(runSimulate({ lead: leadFile(), start: '2025-03-03T09:00:00Z', until: '1d', sequence: 'education', json: true }));
    expect(result.touches[0]).toMatchObject({ sequence: 'education', step: 'thanks' });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
