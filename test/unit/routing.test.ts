// Which rep takes a handoff: the account's owner, then the most specific territory and segment rule,
// then a weighted round robin among reps who can take it now, else the one who starts soonest.
import { addWorkingTime, assignByHand, repSchema, routeHandoff, type RepInput, type RoutingContext } from '../../core/model/routing';
import { at } from '../support/engineDriver';

const rep = (input: Partial<RepInput> & { id: string }) => repSchema.parse({ name: input.id, ...input });
/** Wednesday 11 March 2026, 15:00 UTC: 11:00 in New York, 16:00 in Berlin, 00:00 in Tokyo. */
const NOW = at('2026-03-11T15:00:00Z');
const context = (extra: Partial<RoutingContext> = {}): RoutingContext => ({ now: NOW, open: {}, assigned: {}, exclude: [], ...extra });
const usSoftware = { country: 'US', region: 'US-NY', industry: 'Software', companySize: 300 };

describe('routing a handoff', () => {
  const east = rep({ id: 'east', territories: ['US-NY', 'US-NJ'], workingHours: { zone: 'America/New_York', hours: '09:00-17:00,mon-fri' } });
  const usSaas = rep({ id: 'us-saas', territories: ['US'], industries: ['software', 'saas'], companySize: { min: 100, max: 1000 } });
  const dach = rep({ id: 'dach', territories: ['DE', 'AT', 'CH'] });
  const anyone = rep({ id: 'anyone' });

  it('takes the most specific rule that names the lead: territory and segment over territory over anyone', () => {
    expect(routeHandoff(usSoftware, [anyone, east, dach, usSaas], context())).toMatchObject({ owner: 'us-saas', rule: 'territory_and_segment', candidates: ['us-saas'] });
    expect(routeHandoff({ ...usSoftware, companySize: 20 }, [anyone, east, dach, usSaas], context())).toMatchObject({ owner: 'east', rule: 'territory' });
    expect(routeHandoff({ country: 'BR' }, [anyone, east, dach, usSaas], context())).toMatchObject({ owner: 'anyone', rule: 'anyone' });
  });

  it('keeps the account with its owner, and says why every other rep was passed over', () => {
    const decision = routeHandoff(usSoftware, [anyone, east, dach, usSaas], context({ accountOwner: 'dach' }));
    expect(decision).toMatchObject({ owner: 'dach', rule: 'account_owner' });
    const passed = routeHandoff({ country: 'FR' }, [anyone, east, dach], context());
    expect(passed.skipped).toEqual([
      { rep: 'east', why: 'territory US-NY, US-NJ' },
      { rep: 'dach', why: 'territory DE, AT, CH' },
    ]);
  });

  it('shares the round robin by weight', () => {
    const heavy = rep({ id: 'heavy', weight: 2 });
    const light = rep({ id: 'light' });
    const assigned: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const { owner } = routeHandoff({}, [heavy, light], context({ assigned }));
      assigned[owner!] = (assigned[owner!] ?? 0) + 1;
    }
    expect(assigned).toEqual({ heavy: 20, light: 10 });
  });

  it('passes over reps who are inactive, out of office, at capacity or had the task', () => {
    const reps = [
      rep({ id: 'a', active: false }),
      rep({ id: 'b', outOfOffice: [{ from: '2026-03-09T00:00:00Z', to: '2026-03-13T00:00:00Z' }] }),
      rep({ id: 'c', capacity: 2 }),
      rep({ id: 'd' }),
      rep({ id: 'e' }),
    ];
    const decision = routeHandoff({}, reps, context({ open: { c: 2 }, exclude: ['d'] }));
    expect(decision).toMatchObject({ owner: 'e', rule: 'anyone' });
    expect(decision.skipped).toEqual([
      { rep: 'a', why: 'inactive' },
      { rep: 'b', why: 'out of office' },
      { rep: 'c', why: 'at capacity (2 open)' },
      { rep: 'd', why: 'had this task' },
    ]);
    const nobody = routeHandoff({}, reps, context({ open: { c: 2 }, exclude: ['d', 'e'] }));
    expect(nobody.rule).toBe('none');
    expect(nobody.owner).toBeUndefined();
  });

  it('prefers a rep working now, and otherwise gives the task to the one who starts soonest, saying when', () => {
    const tokyo = rep({ id: 'tokyo', workingHours: { zone: 'Asia/Tokyo', hours: '09:00-18:00,mon-fri' } });
    const berlin = rep({ id: 'berlin', workingHours: { zone: 'Europe/Berlin', hours: '09:00-18:00,mon-fri' } });
    expect(routeHandoff({}, [tokyo, berlin], context())).toMatchObject({ owner: 'berlin' });
    // Friday 20:00 UTC: Berlin has gone home; Tokyo starts Monday 09:00 (00:00 UTC), Berlin Monday 08:00 UTC.
    const friday = at('2026-03-13T20:00:00Z');
    expect(routeHandoff({}, [tokyo, berlin], context({ now: friday }))).toMatchObject({ owner: 'tokyo', startsAt: at('2026-03-16T00:00:00Z') });
  });

  it('names the bad field of a rep', () => {
    const problems = (input: Record<string, unknown>) => repSchema.safeParse({ id: 'x', name: 'X', ...input }).error?.issues.map((issue) => issue.path.join('.'));
    expect(problems({ territories: ['USA'] })).toEqual(['territories.0']);
    expect(problems({ workingHours: { zone: 'Mars/Base', hours: '09:00-17:00' } })).toEqual(['workingHours.zone']);
    expect(problems({ workingHours: { zone: 'UTC', hours: '9 to 5' } })).toEqual(['workingHours.hours']);
    expect(problems({ companySize: { min: 500, max: 100 } })).toEqual(['companySize']);
    expect(problems({ phone: '555-0100' })).toEqual(['phone']);
    expect(problems({ weight: 0 })).toEqual(['weight']);
  });
});

describe('a reassignment by hand', () => {
  it('gives the task to the rep named, rule manual, saying who chose and when the rep starts', () => {
    const tokyo = rep({ id: 'tokyo', capacity: 0, workingHours: { zone: 'Asia/Tokyo', hours: '09:00-18:00,mon-fri' } });
    expect(assignByHand(tokyo, NOW, 'mo')).toEqual({ owner: 'tokyo', rule: 'manual', startsAt: at('2026-03-12T00:00:00Z'), candidates: ['tokyo'], skipped: [], by: 'mo' });
  });

  it('refuses a rep who is not active', () => {
    expect(assignByHand(rep({ id: 'gone', active: false }), NOW, undefined)).toEqual({ refused: 'gone is not active' });
  });
});

describe('an SLA in working time', () => {
  const berlin = rep({ id: 'berlin', workingHours: { zone: 'Europe/Berlin', hours: '09:00-18:00,mon-fri' } }).workingHours;
  const HOUR = 3_600_000;

  it('runs inside working hours, and from the next opening outside them', () => {
    // Wednesday 11:00 in Berlin (CET, UTC+1): due at noon.
    expect(addWorkingTime(at('2026-03-11T10:00:00Z'), HOUR, berlin)).toBe(at('2026-03-11T11:00:00Z'));
    // Friday 17:30: half an hour on Friday, half an hour on Monday from 09:00.
    expect(addWorkingTime(at('2026-03-13T16:30:00Z'), HOUR, berlin)).toBe(at('2026-03-16T08:30:00Z'));
    // Saturday night: Monday 10:00.
    expect(addWorkingTime(at('2026-03-14T22:00:00Z'), HOUR, berlin)).toBe(at('2026-03-16T09:00:00Z'));
  });

  it('is plain time for a rep without working hours', () => {
    expect(addWorkingTime(at('2026-03-14T22:00:00Z'), HOUR, undefined)).toBe(at('2026-03-14T23:00:00Z'));
  });
});
