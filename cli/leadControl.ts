// `nurture leads pause|resume|enrol|exit`: one lead by id, or every lead a filter matches (the same
// filters as GET /v1/leads). A filter is counted first and changes nothing without --yes.
import { z } from 'zod';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';
import { InputError } from './inputs';

export const LEAD_CONTROLS = ['pause', 'resume', 'enrol', 'exit'] as const;
type Control = (typeof LEAD_CONTROLS)[number];
const PAST: Record<Control, string> = { pause: 'paused', resume: 'resumed', enrol: 'enrolled', exit: 'exited' };

export interface ControlOptions extends ApiTarget {
  stage?: string;
  source?: string;
  segment?: string;
  /** The same filters as one expression: `stage = "mql" AND source = "webinar"`. */
  query?: string;
  sequence?: string;
  reason?: string;
  yes?: boolean;
}

const single = z.object({ accepted: z.boolean() });
const bulk = z.object({ matched: z.number(), done: z.number().optional(), refused: z.number().optional(), examples: z.array(z.object({ leadId: z.string(), reason: z.string() })).optional() });

export async function controlLeads(action: Control, leadId: string | undefined, options: ControlOptions, env: Record<string, string | undefined> = process.env): Promise<string> {
  if (action === 'enrol' && !options.sequence) throw new InputError('--sequence: name the sequence to enrol in, e.g. --sequence education');
  if (action === 'exit' && !options.reason) throw new InputError('--reason: say why the leads leave their sequence, e.g. --reason "event cancelled"');
  const body = { ...(options.sequence ? { sequenceId: options.sequence } : {}), ...(options.reason ? { reason: options.reason } : {}) };
  const flags = { ...(options.stage ? { stage: options.stage } : {}), ...(options.source ? { source: options.source } : {}), ...(options.segment ? { segment: options.segment } : {}) };
  const queried = options.query === undefined ? {} : parseLeadQuery(options.query);
  const twice = Object.keys(queried).find((field) => field in flags);
  if (twice) throw new InputError(`--query: ${twice} is given by --${twice} too`);
  const filter: Record<string, string> = { ...flags, ...queried };
  const target = resolveApiTarget(options, env);
  if (leadId) {
    if (Object.keys(filter).length) throw new InputError('give a lead id or a filter (--stage, --source, --segment, --query), not both');
    await callApi(target, 'POST', `/v1/leads/${encodeURIComponent(leadId)}/${action}`, single, body);
    return `${PAST[action]} ${leadId}`;
  }
  if (!Object.keys(filter).length) throw new InputError('give a lead id, or a filter (--stage, --source, --segment or --query) for many leads');
  const described = Object.entries(filter).map(([key, value]) => `${key} ${value}`).join(', ');
  const answer = await callApi(target, 'POST', `/v1/leads/bulk/${action}`, bulk, { ...body, filter, dryRun: !options.yes });
  if (!options.yes) return `${answer.matched} leads match (${described}); nothing changed: run again with --yes to ${action} them`;
  const refused = answer.examples?.length ? `; refused, e.g. ${answer.examples.slice(0, 3).map((example) => `${example.leadId}: ${example.reason}`).join('; ')}` : '';
  return `${PAST[action]} ${answer.done ?? 0} of ${answer.matched} leads (${described})${answer.refused ? `, ${answer.refused} refused${refused}` : ''}`;
}

const QUERY_FIELDS = ['stage', 'source', 'segment'] as const;
const CLAUSE = /^\s*([a-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([\w:.@-]+))\s*$/i;

/** `stage = "mql" AND source = 'webinar'` as a filter: equality clauses on stage, source and segment joined by AND. */
export function parseLeadQuery(text: string): Partial<Record<(typeof QUERY_FIELDS)[number], string>> {
  const filter: Partial<Record<(typeof QUERY_FIELDS)[number], string>> = {};
  for (const clause of text.split(/\s+AND\s+/i)) {
    const match = CLAUSE.exec(clause);
    if (!match) throw new InputError(`--query: cannot read ${JSON.stringify(clause.trim())}: write field = "value", joined by AND (fields: ${QUERY_FIELDS.join(', ')})`);
    const field = match[1]!.toLowerCase() as (typeof QUERY_FIELDS)[number];
    if (!QUERY_FIELDS.includes(field)) throw new InputError(`--query: unknown field ${JSON.stringify(match[1])} (fields: ${QUERY_FIELDS.join(', ')})`);
    if (filter[field] !== undefined) throw new InputError(`--query: ${field} is given twice`);
    filter[field] = match[2] ?? match[3] ?? match[4]!;
  }
  return filter;
}
