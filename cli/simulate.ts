// `nurture simulate`: a marketer's preview of what the engine will do with one lead's timeline.
import { iso } from '../core/model/duration';
import { durationSchema } from '../core/model/duration';
import { simulate, type SimulationResult } from '../core/simulate';
import { engineCatalog } from '../app/parts';
import { parseConfig } from '../app/config';
import { InputError, readEvents, readLead } from './inputs';
import { placeOf } from '../channels/place';

export interface SimulateOptions {
  lead: string;
  events?: string;
  sequence?: string;
  start?: string;
  until: string;
  json?: boolean;
}

/** On the catalog the engine runs with this environment (its send windows), as the marketers' preview does. */
export function runSimulate(options: SimulateOptions, env: NodeJS.ProcessEnv = process.env): string {
  const catalog = engineCatalog(parseConfig(env));
  const given = readLead(options.lead);
  // Where the lead is, inferred as the API infers it, so SMS quiet hours preview as they will run.
  const lead = { ...given, ...placeOf(given) };
  const events = options.events ? readEvents(options.events) : [];
  if (options.sequence && !catalog.latest[options.sequence]) {
    throw new InputError(`--sequence: unknown sequence ${JSON.stringify(options.sequence)} (known: ${Object.keys(catalog.latest).join(', ')})`);
  }
  if (!durationSchema.safeParse(options.until).success) throw new InputError(`--until: ${JSON.stringify(options.until)} must be a duration such as 90d`);
  const start = options.start ? Date.parse(options.start) : Math.min(...events.map((e) => Date.parse(e.occurredAt)));
  if (!Number.isFinite(start)) throw new InputError(options.start ? `--start: ${JSON.stringify(options.start)} is not an ISO date-time` : '--start is needed when there are no events');
  const result = simulate({ catalog, lead, events, start, until: options.until, sequenceId: options.sequence });
  return options.json ? `${JSON.stringify(result, null, 2)}\n` : timeline(result, start);
}

/** The result as a readable timeline, one line per thing that happened, in time order. */
function timeline(result: SimulationResult, start: number): string {
  const rows: { at: string; order: number; text: string }[] = [
    ...result.touches.map((t) => ({ at: t.at, order: 1, text: `touch    ${t.channel.padEnd(7)} ${t.sequence}/${t.step}${t.template ? ` [${t.template}]` : ''} (${t.tier})` })),
    ...result.notes.map((n) => ({ at: n.at, order: 2, text: `note     ${n.step}: ${n.note}` })),
    ...result.stages.map((s) => ({ at: s.at, order: 0, text: `stage    ${s.from} → ${s.to} (${s.reason})` })),
    ...result.handoffs.map((h) => ({ at: h.at, order: 3, text: `handoff  ${h.reason} (fit ${h.scores.fit}, intent ${h.scores.intent}, total ${h.scores.total})` })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order);
  const { final } = result;
  return [
    `simulation from ${iso(start)}${final.holdout ? ' (this lead is in the holdout group: it gets no touches)' : ''}`,
    ...rows.map((row) => `${row.at.slice(0, 16).replace('T', ' ')}Z  ${row.text}`),
    `final    stage ${final.stage}, tier ${final.tier}, fit ${final.scores.fit}, intent ${final.scores.intent}, total ${final.scores.total}${final.sequence ? `, in ${final.sequence}` : ''}`,
    '',
  ].join('\n');
}
