import {
  CONTENT_KINDS,
  EVENT_TYPES,
  eventKey,
  HIGH_INTENT_KEYS,
  isIntentSignal,
  PAGE_CATEGORIES,
  parseLeadEvent,
  type LeadEvent,
  type LeadEventType,
} from '../../core/model/events';

const base = { eventId: 'evt-1', leadId: 'lead-1', occurredAt: '2025-03-03T09:00:00Z' };

/** One valid payload per canonical type; typed so that a new event type without a sample fails to compile. */
const samples: Record<LeadEventType, Record<string, unknown> | undefined> = {
  page_view: { url: 'https://example.com/pricing', category: 'pricing' },
  content_download: { assetId: 'guide-2025', kind: 'guide' },
  email_open: { sendId: 'send-1' },
  email_click: { sendId: 'send-1', url: 'https://example.com/offer' },
  email_reply: {},
  sms_reply: { body: 'yes please' },
  event_attended: { eventName: 'Spring webinar' },
  product_action: { action: 'invite_user', key: true },
  form_submit: { formId: 'contact' },
  demo_request: undefined,
  meeting_booked: {},
  unsubscribe: { channel: 'email' },
  opt_down: undefined,
  email_bounce: { sendId: 'send-1', hard: true },
  email_complaint: { sendId: 'send-1' },
  in_app_seen: { sendId: 'send-1', messageId: 'message-1' },
  in_app_dismissed: { sendId: 'send-1', messageId: 'message-1' },
};

function parsed(input: unknown): LeadEvent {
  const result = parseLeadEvent(input);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.issues)}`);
  return result.event;
}

function issuesOf(input: unknown) {
  const result = parseLeadEvent(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.issues;
}

function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.path);
}

describe('event parsing', () => {
  it('knows exactly the sixteen canonical event types', () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(samples).sort());
  });

  it.each(Object.entries(samples))('parses a valid %s event', (type, properties) => {
    const event = parsed({ ...base, type, ...(properties === undefined ? {} : { properties }) });
    expect(event.type).toBe(type);
    expect(event.eventId).toBe('evt-1');
    expect(event.leadId).toBe('lead-1');
    expect(event.occurredAt).toBe(base.occurredAt);
  });

  it('counts in-app engagement without taking it for intent', () => {
    const seen = parsed({ ...base, type: 'in_app_seen', properties: { messageId: 'message-1' } });
    expect(isIntentSignal(eventKey(seen))).toBe(false);
  });

  it('fills in empty properties for types whose properties are all optional', () => {
    for (const type of ['email_open', 'email_click', 'email_reply', 'sms_reply', 'demo_request', 'meeting_booked', 'opt_down'] as const) {
      expect(parsed({ ...base, type }).properties).toEqual({});
    }
  });

  it('keeps extra properties such as UTM tags instead of stripping them', () => {
    const event = parsed({ ...base, type: 'page_view', properties: { url: 'https://example.com/p', category: 'blog', utm_source: 'newsletter' } });
    expect(event.properties).toEqual({ url: 'https://example.com/p', category: 'blog', utm_source: 'newsletter' });
  });

  it('accepts an occurredAt with a numeric offset', () => {
    expect(parsed({ ...base, occurredAt: '2025-03-03T10:00:00+01:00', type: 'opt_down' }).occurredAt).toBe('2025-03-03T10:00:00+01:00');
  });

  it('trims the event and lead ids', () => {
    const event = parsed({ ...base, eventId: '  evt-9  ', leadId: ' lead-9 ', type: 'opt_down' });
    expect(event.eventId).toBe('evt-9');
    expect(event.leadId).toBe('lead-9');
  });

  it("rejects an unknown event type with the path 'type'", () => {
    expect(pathsOf({ ...base, type: 'page_visit', properties: {} })).toEqual(['type']);
  });

  it("rejects an event without a type with the path 'type'", () => {
    expect(pathsOf({ ...base, properties: {} })).toEqual(['type']);
  });

  it('names properties.url for a page view whose url is not a URL', () => {
    expect(pathsOf({ ...base, type: 'page_view', properties: { url: 'pricing page', category: 'pricing' } })).toEqual(['properties.url']);
  });

  it('names properties.category for a page category outside the taxonomy', () => {
    const issues = issuesOf({ ...base, type: 'page_view', properties: { url: 'https://example.com/x', category: 'prices' } });
    expect(issues.map((i) => i.path)).toEqual(['properties.category']);
    expect(issues[0]!.message).toMatch(/pricing/);
  });

  it('reports every bad field of one event, each with its own path', () => {
    expect(pathsOf({ ...base, type: 'page_view', properties: { url: 'nope', category: 'nope' } }).sort()).toEqual(['properties.category', 'properties.url']);
  });

  it('names properties for a page view without properties', () => {
    expect(pathsOf({ ...base, type: 'page_view' })).toEqual(['properties']);
  });

  it.each([
    ['a date without a time', '2025-03-03'],
    ['a local time without an offset', '2025-03-03T09:00:00'],
    ['a space instead of T', '2025-03-03 09:00:00Z'],
    ['no date at all', 'yesterday'],
  ])('names occurredAt for %s', (_label, occurredAt) => {
    expect(pathsOf({ ...base, occurredAt, type: 'opt_down' })).toEqual(['occurredAt']);
  });

  it('names eventId when it is blank after trimming, and leadId when it is missing', () => {
    expect(pathsOf({ ...base, eventId: '   ', type: 'opt_down' })).toEqual(['eventId']);
    const { leadId: _leadId, ...noLead } = base;
    expect(pathsOf({ ...noLead, type: 'opt_down' })).toEqual(['leadId']);
  });

  it.each([
    ['content_download', { assetId: 'a', kind: 'ebook' }, 'properties.kind'],
    ['content_download', { kind: 'guide' }, 'properties.assetId'],
    ['product_action', { action: 'invite' }, 'properties.key'],
    ['product_action', { action: '', key: false }, 'properties.action'],
    ['unsubscribe', { channel: 'webhook' }, 'properties.channel'],
    ['email_bounce', {}, 'properties.hard'],
    ['email_bounce', { hard: 'yes' }, 'properties.hard'],
    ['email_click', { url: 'not a url' }, 'properties.url'],
    ['sms_reply', { body: 'x'.repeat(1601) }, 'properties.body'],
    ['event_attended', {}, 'properties.eventName'],
    ['form_submit', { formId: 42 }, 'properties.formId'],
  ])('rejects a malformed %s with the dotted path of the field (%j)', (type, properties, path) => {
    expect(pathsOf({ ...base, type, properties })).toEqual([path]);
  });

  it("names '(root)' when the input is not an object", () => {
    expect(pathsOf('page_view')).toEqual(['(root)']);
  });
});

describe('eventKey', () => {
  const event = (type: LeadEventType, properties?: Record<string, unknown>) => parsed({ ...base, type, ...(properties ? { properties } : {}) });

  it('refines a page view by its category', () => {
    for (const category of PAGE_CATEGORIES) {
      expect(eventKey(event('page_view', { url: 'https://example.com/', category }))).toBe(`page_view:${category}`);
    }
  });

  it('refines a download by its content kind', () => {
    for (const kind of CONTENT_KINDS) {
      expect(eventKey(event('content_download', { assetId: 'a', kind }))).toBe(`content_download:${kind}`);
    }
  });

  it('marks a key product action, and leaves an ordinary one unqualified', () => {
    expect(eventKey(event('product_action', { action: 'connect_crm', key: true }))).toBe('product_action:key');
    expect(eventKey(event('product_action', { action: 'change_avatar', key: false }))).toBe('product_action');
  });

  it('is just the type for every other event', () => {
    expect(eventKey(event('email_click'))).toBe('email_click');
    expect(eventKey(event('demo_request'))).toBe('demo_request');
    expect(eventKey(event('unsubscribe', { channel: 'all' }))).toBe('unsubscribe');
  });

  it('tells hard bounces from soft ones', () => {
    expect(eventKey(event('email_bounce', { hard: true }))).toBe('email_bounce:hard');
    expect(eventKey(event('email_bounce', { hard: false }))).toBe('email_bounce:soft');
  });

  it('treats buying signals as intent and housekeeping or job-seeking as not', () => {
    for (const key of ['page_view:pricing', 'page_view:security', 'page_view:case_study', 'content_download:guide', 'email_click', 'email_reply', 'demo_request', 'product_action:key']) {
      expect(isIntentSignal(key)).toBe(true);
    }
    for (const key of ['page_view:careers', 'page_view:blog', 'page_view:other', 'email_open', 'product_action', 'unsubscribe', 'opt_down', 'email_bounce']) {
      expect(isIntentSignal(key)).toBe(false);
    }
  });

  it('counts every high-intent action as an intent signal too', () => {
    for (const key of HIGH_INTENT_KEYS) expect(isIntentSignal(key)).toBe(true);
  });
});
