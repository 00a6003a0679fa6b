// Consent as facts in the engine: the latest stands whatever its source, a refusal wins a tie, email
// follows the model's policy until the lead says otherwise, and a revoked channel's planned touch is
// called off at once. Leads recorded before these rules keep the old ones.
import { createLead, step } from '../../core/engine';
import { meansStop, revocationIn } from '../../core/model/consent';
import { LATEST_RULES, type EngineInput } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';
import { at, commandsOf, DAY_MS, drive, HOUR_MS, makeLead } from '../support/engineDriver';

const catalog = defaultCatalog({ holdoutPercent: 0 });
const monday = at('2025-03-03T09:00:00Z');
const consent = (channel: 'email' | 'sms', granted: boolean, source: string, when?: number): EngineInput => ({ kind: 'consent', channel, granted, source, ...(when === undefined ? {} : { at: when }) });

describe('consent as facts', () => {
  it('lets the latest fact stand, so an opt-in that was given before an opt-out does not undo it', () => {
    const { state } = createLead(makeLead({ id: 'c-1', phone: '+14155550123', consent: { sms: true } }), monday, catalog);
    const refused = step(state, consent('sms', false, 'crm', monday + HOUR_MS), monday + 2 * HOUR_MS, catalog);
    expect(refused.state.consent.sms).toBe(false);
    // A sync that arrives later but carries an older opt-in.
    const stale = step(refused.state, consent('sms', true, 'csv_import', monday + 30 * 60_000), monday + 3 * HOUR_MS, catalog);
    expect(stale.state.consent.sms).toBe(false);
    expect(commandsOf([{ now: 0, input: 'create', output: stale }], 'consentChanged')).toEqual([]);
    // A newer opt-in, by the person, opens the channel again.
    const given = step(stale.state, consent('sms', true, 'sms_start', monday + 4 * HOUR_MS), monday + 4 * HOUR_MS, catalog);
    expect(given.state.consent.sms).toBe(true);
    expect(given.commands).toContainEqual({ type: 'consentChanged', channel: 'sms', granted: true, reason: 'sms_start', at: monday + 4 * HOUR_MS, recorded: true });
  });

  it('lets a refusal win over a grant given at the same instant', () => {
    const { state } = createLead(makeLead({ id: 'c-2' }), monday, catalog);
    const when = monday + HOUR_MS;
    const both = [consent('email', false, 'link', when), consent('email', true, 'crm', when)];
    const output = both.reduce((current, input) => step(current.state, input, when, catalog), { state, commands: [] } as ReturnType<typeof step>);
    expect(output.state.consent.email).toBe(false);
  });

  it('follows the model\'s policy for email the lead never answered, by country', () => {
    const optIn = defaultCatalog({ holdoutPercent: 0, consentPolicy: { emailOptInCountries: ['DE'] } });
    const german = createLead(makeLead({ id: 'c-3', country: 'DE' }), monday, optIn);
    const american = createLead(makeLead({ id: 'c-4', country: 'US' }), monday, optIn);
    expect({ consent: german.state.consent.email, reason: german.state.consentReasons.email }).toEqual({ consent: false, reason: 'policy:opt_in' });
    expect(german.commands).toContainEqual(expect.objectContaining({ type: 'touchSkipped', reason: 'no_consent:policy:opt_in' }));
    expect(american.state.consent.email).toBe(true);
    // An explicit opt-in given with the lead stands over the policy.
    expect(createLead(makeLead({ id: 'c-5', country: 'DE', consent: { email: true } }), monday, optIn).state.consent.email).toBe(true);
  });

  it('calls off a planned touch on a channel the lead closes, at once rather than when it falls due', () => {
    // Friday evening: the welcome email waits for Monday's window.
    const friday = at('2025-03-07T19:00:00Z');
    const { traces } = drive({
      catalog,
      lead: makeLead({ id: 'c-6', source: 'search' }),
      start: friday,
      end: friday + 3 * DAY_MS,
      inputs: [{ at: friday + HOUR_MS, input: consent('email', false, 'link', friday + HOUR_MS) }],
    });
    expect(commandsOf(traces, 'touchDeferred')).toHaveLength(1);
    expect(commandsOf(traces, 'touchCanceled')).toEqual([
      { type: 'touchCanceled', sequenceId: 'fast-track', stepId: 'welcome', channel: 'email', reason: 'no_consent:link', at: friday + HOUR_MS },
    ]);
    expect(commandsOf(traces, 'send')).toEqual([]);
  });

  it('keeps the rules a lead was recorded with: without consent facts, the last input stands, whatever its time', () => {
    const legacy = { ...LATEST_RULES, consentFacts: false };
    const { state } = createLead(makeLead({ id: 'c-7', country: 'DE' }), monday, catalog, undefined, legacy);
    const refused = step(state, consent('email', false, 'crm'), monday + HOUR_MS, catalog, legacy);
    const stale = step(refused.state, consent('email', true, 'csv_import', monday), monday + 2 * HOUR_MS, catalog, legacy);
    expect(stale.state.consent.email).toBe(true);
    expect(stale.state.consentAt).toBeUndefined();
  });
});

describe('a reply that asks to stop', () => {
  it.each([
    'STOP',
    'Stop!',
    'please stop texting me',
    'Please STOP texting me.',
    'remove me',
    'Remove me from your list',
    'unsubscribe',
    'Cancel',
    'end',
    'QUIT',
    'revoke',
    'opt out',
    'Opt-out please',
    "Don't text me again",
    'no more messages, thanks',
    'stop sending me these emails',
    'Wrong number',
  ])('revokes on %j', (text) => {
    expect(meansStop(text)).toBe(true);
  });

  it.each(['Yes, tell me more', 'Can we talk next week?', 'What does the pro plan cost?', "I'll send it by the end of the week", 'Thanks!', 'Is there an option to cancel the trial later?'])(
    'reads %j as a reply',
    (text) => {
      expect(meansStop(text)).toBe(false);
    },
  );
});

describe('a reply that asks to stop', () => {
  const reply = (type: 'email_reply' | 'sms_reply', body?: string) => ({ eventId: 'r-1', leadId: 'c-9', type, occurredAt: '2025-03-03T10:00:00.000Z', properties: body === undefined ? {} : { body } }) as Parameters<typeof revocationIn>[0];

  it('is the unsubscribe of the channel it came on, under the same event id and time', () => {
    expect(revocationIn(reply('email_reply', 'Please unsubscribe me from this list.'))).toEqual({ eventId: 'r-1', leadId: 'c-9', type: 'unsubscribe', occurredAt: '2025-03-03T10:00:00.000Z', properties: { channel: 'email' } });
    expect(revocationIn(reply('sms_reply', 'please stop texting me'))?.properties).toEqual({ channel: 'sms' });
  });

  it('is what a spam complaint is too: an email unsubscribe', () => {
    expect(revocationIn({ eventId: 'c-1', leadId: 'c-9', type: 'email_complaint', occurredAt: '2025-03-03T10:00:00.000Z', properties: {} })).toEqual({
      eventId: 'c-1',
      leadId: 'c-9',
      type: 'unsubscribe',
      occurredAt: '2025-03-03T10:00:00.000Z',
      properties: { channel: 'email' },
    });
  });

  it('leaves other replies, replies without text and other events as they are', () => {
    expect(revocationIn(reply('email_reply', 'Can we talk on Tuesday?'))).toBeUndefined();
    expect(revocationIn(reply('email_reply'))).toBeUndefined();
    expect(revocationIn({ eventId: 'p-1', leadId: 'c-9', type: 'page_view', occurredAt: '2025-03-03T10:00:00.000Z', properties: { url: 'https://relay.example/stop', category: 'other' } })).toBeUndefined();
  });

  it('closes the channel in the engine and counts as no intent', () => {
    const { state } = createLead(makeLead({ id: 'c-9', email: 'c9@relay.example', consent: { email: true } }), monday, catalog);
    const revocation = revocationIn({ ...reply('email_reply', 'remove me from your list'), occurredAt: new Date(monday + HOUR_MS).toISOString() });
    const after = step(state, { kind: 'event', event: revocation! }, monday + HOUR_MS, catalog);
    expect(after.state.consent.email).toBe(false);
    expect(after.state.consentReasons.email).toBe('unsubscribe');
  });
});
