// The behavioural event taxonomy: one zod schema per canonical event type, a discriminated union
// over them, and the aggregation key each event counts under (type, refined by its category).
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { boundedFreeForm, identifier } from './input';

export const PAGE_CATEGORIES = ['pricing', 'security', 'case_study', 'careers', 'docs', 'blog', 'other'] as const;
export const CONTENT_KINDS = [
  'guide',
  'checklist',
  'case_study',
  'whitepaper',
  'pricing_guide',
  'security_pack',
  'roi_calculator',
  'sample',
] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];
export const CHANNELS = ['email', 'sms', 'in_app', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Channels a lead can unsubscribe from; webhooks go to our own systems, not to the lead. */
export const CONSENT_CHANNELS = ['email', 'sms', 'in_app'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

const pageCategorySchema = lazySchema(() => z.enum(PAGE_CATEGORIES));
const contentKindSchema = lazySchema(() => z.enum(CONTENT_KINDS));

// Extra properties (UTM tags, campaign ids) are kept, not stripped: they belong to the customer,
// within the free-form limits.
const props = <T extends z.ZodRawShape>(shape: T) => boundedFreeForm(z.looseObject(shape));
const noProps = props({}).default({});
const sendRef = { sendId: z.string().min(1).max(200).optional() };

const base = {
  eventId: identifier(),
  leadId: identifier(),
  occurredAt: z.iso.datetime({ offset: true }),
};

const event = <T extends string, P extends z.ZodType>(type: T, properties: P) =>
  z.object({ ...base, type: z.literal(type), properties });

export const leadEventSchema = lazySchema(() =>
  z.discriminatedUnion('type', [
    event('page_view', props({ url: z.string().url().max(2000), category: pageCategorySchema })),
    event('content_download', props({ assetId: z.string().min(1).max(200), kind: contentKindSchema })),
    event('email_open', props(sendRef).default({})),
    event('email_click', props({ ...sendRef, url: z.string().url().max(2000).optional() }).default({})),
    event('email_reply', props({ ...sendRef, body: z.string().max(20_000).optional() }).default({})),
    event('sms_reply', props({ body: z.string().max(1600).optional() }).default({})),
    event('event_attended', props({ eventName: z.string().min(1).max(200) })),
    event('product_action', props({ action: z.string().min(1).max(200), key: z.boolean() })),
    event('form_submit', props({ formId: z.string().min(1).max(200) })),
    event('demo_request', noProps),
    event('meeting_booked', noProps),
    event('unsubscribe', props({ channel: z.enum([...CONSENT_CHANNELS, 'all']) })),
    event('opt_down', noProps),
    event('email_bounce', props({ ...sendRef, hard: z.boolean() })),
    // The recipient marked an email as spam (a mailbox provider's feedback loop): an unsubscribe.
    event('email_complaint', props(sendRef).default({})),
    // In-app messages: engagement, like an email open, not intent.
    event('in_app_seen', props({ ...sendRef, messageId: z.string().min(1).max(200) })),
    event('in_app_dismissed', props({ ...sendRef, messageId: z.string().min(1).max(200) })),
  ]),
);

export type LeadEvent = z.infer<typeof leadEventSchema>;
export type LeadEventType = LeadEvent['type'];
export const EVENT_TYPES = leadEventSchema.options.map((option) => option.shape.type.value) as LeadEventType[];

/** The properties the engine reads, by event type; the rest stays with the stored event. */
const ENGINE_PROPERTIES: Record<LeadEventType, readonly string[]> = {
  page_view: ['url', 'category'],
  content_download: ['assetId', 'kind'],
  email_open: ['sendId'],
  email_click: ['sendId'],
  email_reply: ['sendId'],
  sms_reply: [],
  event_attended: ['eventName'],
  product_action: ['action', 'key'],
  form_submit: ['formId'],
  demo_request: [],
  meeting_booked: [],
  unsubscribe: ['channel'],
  opt_down: [],
  email_bounce: ['sendId', 'hard'],
  email_complaint: ['sendId'],
  in_app_seen: ['sendId', 'messageId'],
  in_app_dismissed: ['sendId', 'messageId'],
};

/**
 * An event as a lead's workflow gets it: only the properties the engine reads, and a page's address
 * without its query or fragment. Free text (a reply's words), a clicked link's address and the
 * customer's extra properties (which may name the person) stay in PostgreSQL, out of every history.
 */
export function minimiseEvent(event: LeadEvent): LeadEvent {
  const kept: Record<string, unknown> = {};
  for (const name of ENGINE_PROPERTIES[event.type]) {
    const value = (event.properties as Record<string, unknown>)[name];
    if (value !== undefined) kept[name] = name === 'url' ? addressWithoutQuery(String(value)) : value;
  }
  return { eventId: event.eventId, leadId: event.leadId, type: event.type, occurredAt: event.occurredAt, properties: kept } as LeadEvent;
}

function addressWithoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/**
 * The key an event is counted under in a lead's aggregates and matched by conditions:
 * `page_view:pricing`, `content_download:pricing_guide`, `product_action:key`, `email_bounce:hard`, or
 * just the type.
 */
export function eventKey(event: LeadEvent): string {
  switch (event.type) {
    case 'page_view':
      return `page_view:${event.properties.category}`;
    case 'content_download':
      return `content_download:${event.properties.kind}`;
    case 'product_action':
      return event.properties.key ? 'product_action:key' : 'product_action';
    case 'email_bounce':
      return `email_bounce:${event.properties.hard ? 'hard' : 'soft'}`;
    default:
      return event.type;
  }
}

/** Signals of buying intent: they return a lead to the active cadence and pull its next touch forward. */
const INTENT_SIGNAL_KEYS = new Set([
  'email_click',
  'email_reply',
  'sms_reply',
  'event_attended',
  'product_action:key',
  'page_view:pricing',
  'page_view:security',
  'page_view:case_study',
  'form_submit',
  'demo_request',
  'meeting_booked',
  ...CONTENT_KINDS.map((kind) => `content_download:${kind}`),
]);

export function isIntentSignal(key: string): boolean {
  return INTENT_SIGNAL_KEYS.has(key);
}

/** Keys of the high-intent actions that, with a score over the threshold, trigger a sales handoff. */
export const HIGH_INTENT_KEYS = ['page_view:pricing', 'page_view:security', 'content_download:pricing_guide', 'demo_request'];

export interface EventParseIssue {
  path: string;
  message: string;
}

/** Parses an event or reports every problem with the dotted path of the offending field. */
export function parseLeadEvent(input: unknown): { ok: true; event: LeadEvent } | { ok: false; issues: EventParseIssue[] } {
  const result = leadEventSchema.safeParse(input);
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, issues: zodIssues(result.error) };
}

export function zodIssues(error: z.ZodError): EventParseIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
}
