// SMS quiet hours where the lead's zone is not given: inside the window in every zone the lead may
// be in, inside the legal hours of its country and its state (data in the model), and held until a
// zone is known. The engine reads what channels/place inferred; the tests give it as the API would.
import { createLead, step } from '../../core/engine';
import type { Lead, LeadPlace } from '../../core/model/lead';
import { DEFAULT_SMS_HOURS, smsHoursFor } from '../../core/model/quietHours';
import { nextInstantInsideAll, parseSendWindow } from '../../core/model/sendWindow';
import { buildModel } from '../../core/model/tuning';
import { LATEST_RULES, type Command } from '../../core/protocol';
import { buildCatalog } from '../../sequences/catalog';
import { defineSequence, fieldIs, sms, wait } from '../../sequences/dsl';
import { librarySequences } from '../../sequences/library';
import { at, DAY_MS, HOUR_MS } from '../support/engineDriver';

const legal = buildModel().smsHours;
const window = (text: string) => [parseSendWindow(text)];

describe('the hours of every zone and rule at once', () => {
  it('opens when the window is open in each zone: 08:00 in Los Angeles is 11:00 in New York', () => {
    const zones = ['America/New_York', 'America/Los_Angeles'];
    // 14:00 UTC on a Wednesday in March: 10:00 in New York, 07:00 in Los Angeles.
    expect(nextInstantInsideAll(at('2026-03-11T14:00:00Z'), [window('08:00-21:00')], zones)).toBe(at('2026-03-11T15:00:00Z'));
    // 21:00 in New York closes it for both, though Los Angeles is at 18:00.
    expect(nextInstantInsideAll(at('2026-03-12T01:00:00Z'), [window('08:00-21:00')], zones)).toBe(at('2026-03-12T15:00:00Z'));
  });

  it('finds nothing when the zones share no hour of the window', () => {
    expect(nextInstantInsideAll(at('2026-03-11T14:00:00Z'), [window('09:00-12:00')], ['Europe/London', 'Asia/Tokyo'])).toBeUndefined();
  });

  it('takes any window of a rule: Texas on Sunday opens at noon, on Monday at nine', () => {
    const texas = smsHoursFor(legal, 'US', 'US-TX');
    // Sunday 8 March 2026, 10:00 in Chicago (CDT, UTC-5).
    expect(nextInstantInsideAll(at('2026-03-08T15:00:00Z'), texas, ['America/Chicago'])).toBe(at('2026-03-08T17:00:00Z'));
    expect(nextInstantInsideAll(at('2026-03-09T13:00:00Z'), texas, ['America/Chicago'])).toBe(at('2026-03-09T14:00:00Z'));
  });
});

describe('the legal hours that apply', () => {
  it('are the country’s and the state’s for a lead whose state is known', () => {
    expect(smsHoursFor(legal, 'US', 'US-FL')).toEqual([legal.US, legal['US-FL']]);
    expect(smsHoursFor(legal, undefined, 'US-FL')).toEqual([legal.US, legal['US-FL']]);
  });

  it('are every rule of the country for a lead whose state is not, and none where no law is listed', () => {
    expect(smsHoursFor(legal, 'US', undefined)).toHaveLength(Object.keys(DEFAULT_SMS_HOURS).filter((key) => key.startsWith('US')).length);
    expect(smsHoursFor(legal, 'DE', 'DE-BE')).toEqual([]);
    expect(smsHoursFor(legal, undefined, undefined)).toEqual([]);
  });

  it('name a bad rule in the model', () => {
    expect(() => buildModel({ smsHours: { 'US-FL': '08:00-20:00', Florida: '08:00-20:00' } })).toThrow(/smsHours\.Florida|Florida/);
    expect(() => buildModel({ smsHours: { US: '8am-9pm' } })).toThrow(/8am-9pm/);
  });
});

describe('an SMS step for a lead without a zone of its own', () => {
  // Any hour by the model's own window: what is held back is held by the law and the zones.
  const catalog = buildCatalog({
    model: buildModel({ holdoutPercent: 0, cadence: { windows: { sms: '08:00-21:00,mon-sun' } } }),
    sequences: [
      ...librarySequences,
      defineSequence({ id: 'texts', name: 'Texts', audience: fieldIs('source', 'sms-test'), steps: [sms('hello', 'test/sms-hello'), wait('1d'), sms('again', 'test/sms-hello')] }),
    ],
    routing: ['fast-track'],
    defaultSequence: 'education',
    longTermSequence: 'long-term-nurture',
  });
  const lead = (place: LeadPlace, fields: Partial<Lead> = {}): Lead & LeadPlace => ({ id: 'q-1', phone: '+12125550123', consent: { sms: true }, ...fields, ...place });
  const commandOf = <T extends Command['type']>(commands: Command[], type: T) => commands.find((c): c is Extract<Command, { type: T }> => c.type === type);

  it('goes out at 08:00 in New York for a New York number, not at 08:00 UTC', () => {
    // 03:00 in New York.
    const created = createLead(lead({ zones: ['America/New_York'], region: 'US-NY' }), at('2026-03-11T07:00:00Z'), catalog, 'texts');
    expect(commandOf(created.commands, 'touchDeferred')).toMatchObject({ until: at('2026-03-11T12:00:00Z'), reasons: ['window:sms'] });
  });

  it('keeps to Florida’s 20:00 for a Florida number', () => {
    // 20:30 in Miami: inside the federal hours, outside the state's.
    const created = createLead(lead({ zones: ['America/New_York'], region: 'US-FL' }, { phone: '+13055550123' }), at('2026-03-12T00:30:00Z'), catalog, 'texts');
    expect(commandOf(created.commands, 'touchDeferred')?.until).toBe(at('2026-03-12T12:00:00Z'));
  });

  it('for a US lead known only by its country, waits for the hours every US zone and state allows', () => {
    // 09:30 in New York is 03:30 in Honolulu; every state's rule holds, Texas' 09:00 and Florida's 20:00 too.
    const created = createLead(lead({ zones: ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Pacific/Honolulu'] }, { country: 'US' }), at('2026-03-11T13:30:00Z'), catalog, 'texts');
    // 09:00 in Honolulu (UTC-10) is 19:00 UTC, 15:00 in New York: inside every rule in every zone.
    expect(commandOf(created.commands, 'touchDeferred')?.until).toBe(at('2026-03-11T19:00:00Z'));
  });

  it('is held while no zone is known, sent once a profile update says where the lead is, and skipped after a week', () => {
    const start = at('2026-03-11T15:00:00Z');
    const held = createLead(lead({ zones: [] }), start, catalog, 'texts');
    expect(commandOf(held.commands, 'touchDeferred')).toMatchObject({ until: start + DAY_MS, reasons: ['zone:unknown'] });
    expect(commandOf(held.commands, 'send')).toBeUndefined();

    const told = step(held.state, { kind: 'profile', profile: { timezone: 'Europe/Dublin' } }, start + HOUR_MS, catalog);
    const woken = step(told.state, { kind: 'wake' }, start + DAY_MS, catalog);
    expect(commandOf(woken.commands, 'send')?.touch).toMatchObject({ channel: 'sms', stepId: 'hello' });

    let state = held.state;
    const week: Command[] = [];
    for (let day = 1; day <= 7; day++) {
      const woke = step(state, { kind: 'wake' }, start + day * DAY_MS, catalog);
      week.push(...woke.commands);
      state = woke.state;
    }
    expect(week.filter((c) => c.type === 'touchDeferred')).toHaveLength(6);
    expect(commandOf(week, 'touchSkipped')).toMatchObject({ stepId: 'hello', reason: 'no_zone', at: start + 7 * DAY_MS });
    expect(commandOf(week, 'send')).toBeUndefined();
  });

  it('goes by the default zone for leads on the rules before zones (their histories replay as they ran)', () => {
    const before = { ...LATEST_RULES, smsZones: false };
    const created = createLead(lead({ zones: ['America/New_York'] }), at('2026-03-11T08:30:00Z'), catalog, 'texts', before);
    expect(commandOf(created.commands, 'send')?.touch.channel).toBe('sms');
  });
});
