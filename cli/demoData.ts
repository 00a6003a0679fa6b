// The data set of `nurture demo`: leads from three sources with varied firmographics, time zones
// and consent, and what each of them does over the demo's minute. Generated from a seed by a small
// PRNG, so the same seed gives the same leads, ids and events on every run and machine; lead i is
// the same whatever the number of leads asked for.
import type { LeadEvent } from '../core/model/events';
import type { Lead } from '../core/model/lead';
import type { RepInput } from '../core/model/routing';
import { seededRandom } from '../core/model/random';

export const DEMO_SOURCES = ['webinar', 'content', 'paid_search'] as const;
type DemoSource = (typeof DEMO_SOURCES)[number];

/** The rounds of the timeline, in order: how the lead arrived, browsing, pricing, demo requests. */
export const WAVES = ['arrival', 'engagement', 'intent', 'demo'] as const;
export type Wave = (typeof WAVES)[number];

/** What a lead does after arriving: nothing more, a little reading, pricing (intent), or asks for a demo. */
type Behaviour = 'quiet' | 'browsing' | 'intent' | 'demo';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event without its time: it is stamped when it is sent. */
type PlannedEvent = DistributiveOmit<LeadEvent, 'occurredAt'>;

/** How well the lead matches the default ideal customer profile. */
type FitTier = 'high' | 'mid' | 'low';

export interface DemoLead {
  lead: Lead & { source: DemoSource };
  behaviour: Behaviour;
  fit: FitTier;
  events: { wave: Wave; event: PlannedEvent }[];
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
/** One of the keys, with the chance of its weight. */
function weighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let roll = rng() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [key, weight] of entries) if ((roll -= weight) < 0) return key;
  return entries.at(-1)![0];
}

interface Company {
  name: string;
  domain: string;
  industry: string;
  size: number;
  country: string;
  timezones: string[];
}

// Inside the default ideal customer profile (industry, 50–5,000 people, country): fit from the company.
const ICP_COMPANIES: Company[] = [
  { name: 'Northwind Analytics', domain: 'northwind.example', industry: 'software', size: 320, country: 'US', timezones: ['America/New_York', 'America/Chicago'] },
  { name: 'Bluefin Payments', domain: 'bluefin.example', industry: 'fintech', size: 850, country: 'GB', timezones: ['Europe/London'] },
  { name: 'Hartwell Manufacturing', domain: 'hartwell.example', industry: 'manufacturing', size: 1400, country: 'DE', timezones: ['Europe/Berlin'] },
  { name: 'Copperleaf Health', domain: 'copperleaf.example', industry: 'healthcare', size: 2200, country: 'US', timezones: ['America/Los_Angeles', 'America/Denver'] },
  { name: 'Lumen Ledger', domain: 'lumenledger.example', industry: 'financial services', size: 600, country: 'CA', timezones: ['America/Toronto', 'America/Vancouver'] },
  { name: 'Stackwise', domain: 'stackwise.example', industry: 'saas', size: 140, country: 'NL', timezones: ['Europe/Amsterdam'] },
  { name: 'Fjordline Systems', domain: 'fjordline.example', industry: 'software', size: 450, country: 'SE', timezones: ['Europe/Stockholm'] },
  { name: 'Kestrel Robotics', domain: 'kestrel.example', industry: 'manufacturing', size: 900, country: 'US', timezones: ['America/Chicago'] },
  { name: 'Meridian Care', domain: 'meridiancare.example', industry: 'healthcare', size: 3100, country: 'AU', timezones: ['Australia/Sydney', 'Australia/Melbourne'] },
  { name: 'Arcadia Cloud', domain: 'arcadia.example', industry: 'saas', size: 75, country: 'IE', timezones: ['Europe/Dublin'] },
  { name: 'Vantage Treasury', domain: 'vantage.example', industry: 'fintech', size: 260, country: 'CH', timezones: ['Europe/Zurich'] },
  { name: 'Orchard Labs', domain: 'orchardlabs.example', industry: 'software', size: 95, country: 'FR', timezones: ['Europe/Paris'] },
];

// In a target industry and country but under the ICP's 50 people: mid fit at best.
const SMALL_COMPANIES: Company[] = [
  { name: 'Sparrow Software', domain: 'sparrowsoft.example', industry: 'software', size: 25, country: 'US', timezones: ['America/New_York', 'America/Los_Angeles'] },
  { name: 'Quillpay', domain: 'quillpay.example', industry: 'fintech', size: 30, country: 'GB', timezones: ['Europe/London'] },
  { name: 'Ostwerk Tools', domain: 'ostwerk.example', industry: 'manufacturing', size: 45, country: 'DE', timezones: ['Europe/Berlin'] },
  { name: 'Loop Clinic Software', domain: 'loopclinic.example', industry: 'saas', size: 18, country: 'CA', timezones: ['America/Toronto'] },
];

// Outside it by industry, size or country: low fit whoever works there.
const OTHER_COMPANIES: Company[] = [
  { name: 'Pebble & Pine', domain: 'pebblepine.example', industry: 'retail', size: 35, country: 'US', timezones: ['America/New_York'] },
  { name: 'Sunny Side Hotels', domain: 'sunnyside.example', industry: 'hospitality', size: 1200, country: 'ES', timezones: ['Europe/Madrid'] },
  { name: 'Brightpath Academy', domain: 'brightpath.example', industry: 'education', size: 60, country: 'IN', timezones: ['Asia/Kolkata'] },
  { name: 'Tiny Forge Studio', domain: 'tinyforge.example', industry: 'software', size: 8, country: 'GB', timezones: ['Europe/London'] },
  { name: 'Harbor Freightways', domain: 'harborfreight.example', industry: 'logistics', size: 4000, country: 'BR', timezones: ['America/Sao_Paulo'] },
  { name: 'Koi Design Co', domain: 'koidesign.example', industry: 'agency', size: 20, country: 'SG', timezones: ['Asia/Singapore'] },
  { name: 'Nimbus Media', domain: 'nimbusmedia.example', industry: 'media', size: 300, country: 'JP', timezones: ['Asia/Tokyo'] },
];

// Titles by seniority: senior ones score high and route to the economic buyer or IT/security.
const SENIOR_TITLES = ['VP Operations', 'Head of Revenue Operations', 'Director of Marketing', 'CTO', 'Chief Operating Officer', 'VP Sales', 'Director of IT'];
const STAFF_TITLES = ['Marketing Manager', 'Operations Manager', 'Data Engineer', 'Sales Operations Analyst', 'Marketing Specialist', 'Security Engineer', 'Solutions Architect', 'Campaign Coordinator'];
const JUNIOR_TITLES = ['Marketing Intern', 'Student', 'Freelance Consultant', 'Office Assistant'];

const FIRST_NAMES = ['Ana', 'Ben', 'Chloé', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Lars', 'Maya', 'Nils', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe'];
const LAST_NAMES = ['Müller', 'Okafor', 'Lindqvist', 'Tanaka', 'García', 'Novak', 'Brennan', 'Haddad', 'Kowalski', 'Moreau', 'Singh', 'Byrne', 'Costa', 'Jansen', 'Ferreira', 'Adeyemi', 'Larsen', 'Rossi'];

const ARRIVAL: Record<DemoSource, (rng: Rng) => PlannedEventBody> = {
  // Attended the webinar the lead registered for.
  webinar: () => ({ type: 'event_attended', properties: { eventName: 'Webinar: fixing the marketing-to-sales handoff' } }),
  // Downloaded a piece of content from the blog.
  content: (rng) =>
    pick(rng, [
      { type: 'content_download', properties: { assetId: 'state-of-lead-handoffs-2026', kind: 'whitepaper' } },
      { type: 'content_download', properties: { assetId: 'lead-scoring-guide', kind: 'guide' } },
      { type: 'content_download', properties: { assetId: 'nurture-email-checklist', kind: 'checklist' } },
    ] as const),
  // Landed from an ad on the product page.
  paid_search: () => ({ type: 'page_view', properties: { url: 'https://nurture.example/product?utm_source=google&utm_medium=cpc', category: 'other' } }),
};

type PlannedEventBody = DistributiveOmit<PlannedEvent, 'eventId' | 'leadId'>;

const BROWSING: PlannedEventBody[] = [
  { type: 'email_open', properties: {} },
  { type: 'page_view', properties: { url: 'https://nurture.example/blog/why-leads-go-cold', category: 'blog' } },
  { type: 'page_view', properties: { url: 'https://nurture.example/blog/mql-vs-sql', category: 'blog' } },
  { type: 'page_view', properties: { url: 'https://nurture.example/docs/integrations', category: 'docs' } },
];
const PRICING: PlannedEventBody = { type: 'page_view', properties: { url: 'https://nurture.example/pricing', category: 'pricing' } };
const SECURITY: PlannedEventBody = { type: 'page_view', properties: { url: 'https://nurture.example/security', category: 'security' } };
const CASE_STUDY: PlannedEventBody = { type: 'page_view', properties: { url: 'https://nurture.example/customers/bluefin', category: 'case_study' } };
const CAREERS: PlannedEventBody = { type: 'page_view', properties: { url: 'https://nurture.example/careers', category: 'careers' } };

// Every block of leads tells the whole story once, so that a small --leads still shows a demo
// request (one in 40) and a mid-fit lead whose pricing visit pulls its next touch forward (one in
// 20); the rest draw their behaviour and fit.
const DEMO_EVERY = 40;
const STORY_EVERY = 20;

export function generateDemo(seed: number, count: number): DemoLead[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => demoLead(rng, seed, i + 1));
}

function demoLead(rng: Rng, seed: number, index: number): DemoLead {
  const id = `demo-${seed}-${String(index).padStart(3, '0')}`;
  // Leads are drawn one after the other from one stream: lead i never depends on the count.
  const source = weighted<DemoSource>(rng, { webinar: 40, content: 35, paid_search: 25 });
  const drawnBehaviour = weighted<Exclude<Behaviour, 'demo'>>(rng, { quiet: 35, browsing: 50, intent: 15 });
  const drawnFit = weighted<FitTier>(rng, { high: 25, mid: 45, low: 30 });
  const firstName = pick(rng, FIRST_NAMES);
  const lastName = pick(rng, LAST_NAMES);
  const companies = { icp: pick(rng, ICP_COMPANIES), small: pick(rng, SMALL_COMPANIES), other: pick(rng, OTHER_COMPANIES) };
  const titles = { senior: pick(rng, SENIOR_TITLES), staff: pick(rng, STAFF_TITLES), junior: pick(rng, JUNIOR_TITLES) };
  const roll = { zone: rng(), noZone: rng(), smallCompany: rng(), junior: rng(), consent: rng(), careers: rng() };
  const browsingCount = 1 + Math.floor(rng() * 2);
  const browsingStart = Math.floor(rng() * BROWSING.length);
  const arrival = ARRIVAL[source](rng);

  const story = index % STORY_EVERY === 8;
  const behaviour: Behaviour = index % DEMO_EVERY === 3 ? 'demo' : story ? 'intent' : drawnBehaviour;
  const fit: FitTier = story ? 'mid' : drawnFit;
  // Story leads work at small companies, so a pricing visit leaves them under the handoff threshold.
  const company = fit === 'low' ? companies.other : fit === 'high' || (!story && roll.smallCompany < 0.5) ? companies.icp : companies.small;
  const title = fit === 'high' ? titles.senior : fit === 'mid' || roll.junior < 0.5 ? titles.staff : titles.junior;
  const smsOptIn = source === 'webinar' && roll.consent < 0.4;

  const lead: DemoLead['lead'] = {
    id,
    email: `${ascii(firstName)}.${ascii(lastName)}@${company.domain}`,
    firstName,
    lastName,
    company: company.name,
    title,
    industry: company.industry,
    companySize: company.size,
    country: company.country,
    // Some forms ask for no zone: the engine uses its default (UTC).
    ...(roll.noZone < 0.9 ? { timezone: company.timezones[Math.floor(roll.zone * company.timezones.length)]! } : {}),
    source,
    // Webinar forms ask for a phone and an SMS opt-in; a few content readers declined email.
    consent: source === 'webinar' ? { email: true, sms: smsOptIn } : { email: !(source === 'content' && roll.consent < 0.08) },
    // 555-01xx: numbers reserved for fiction.
    ...(smsOptIn ? { phone: `+1 202 555 01${String(index % 100).padStart(2, '0')}` } : {}),
    attributes: { demo: true },
  };

  const events: DemoLead['events'] = [];
  const add = (wave: Wave, body: PlannedEventBody) => events.push({ wave, event: { ...body, eventId: `${id}-e${events.length + 1}`, leadId: id } as PlannedEvent });
  add('arrival', arrival);
  if (behaviour !== 'quiet') {
    for (let k = 0; k < browsingCount; k++) add('engagement', BROWSING[(browsingStart + k) % BROWSING.length]!);
    // Job seekers read the careers page: negative intent.
    if (fit === 'low' && roll.careers < 0.3) add('engagement', CAREERS);
  }
  if (behaviour === 'intent') {
    add('intent', PRICING);
    if (company.industry === 'healthcare' || company.industry === 'financial services') add('intent', SECURITY);
  }
  // Demo requesters read a customer story, then book from it: a pricing visit first would hand a
  // high-fit lead to sales on score before it asked.
  if (behaviour === 'demo') {
    add('intent', CASE_STUDY);
    add('demo', { type: 'demo_request', properties: {} });
  }
  return { lead, behaviour, fit, events };
}

/** An address's local part: lower case, without accents. */
function ascii(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/** The demo's sales team: one rep per region of the data set's companies, each in their own hours. */
export const DEMO_REPS: (RepInput & { territories: string[] })[] = [
  { id: 'amara', name: 'Amara Obi', email: 'amara@nurture.example', territories: ['US', 'CA'], manager: 'maeve', workingHours: { zone: 'America/Chicago', hours: '08:00-18:00,mon-fri' } },
  { id: 'jonas', name: 'Jonas Berg', email: 'jonas@nurture.example', territories: ['DE', 'AT', 'CH', 'NL', 'SE', 'DK', 'NO', 'FI'], manager: 'maeve', workingHours: { zone: 'Europe/Berlin', hours: '09:00-18:00,mon-fri' } },
  { id: 'maeve', name: 'Maeve Byrne', email: 'maeve@nurture.example', territories: ['GB', 'IE', 'FR', 'ES'], workingHours: { zone: 'Europe/London', hours: '09:00-17:30,mon-fri' } },
  { id: 'kai', name: 'Kai Tanaka', email: 'kai@nurture.example', territories: [], manager: 'maeve', workingHours: { zone: 'Asia/Tokyo', hours: '09:00-18:00,mon-fri' } },
];
