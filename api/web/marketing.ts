// The marketers' pages under /app: the funnel overview, each sequence drawn as its steps with what
// every step did, experiments, leads (search, a lead's scores, consent and timeline, and steering
// it), the backtest and the preview. Every number comes from the function the API answers with, so pages and API
// agree; reading needs the read scope and steering the marketing scope, as through the API.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { durationMs, durationSchema } from '../../core/model/duration';
import { EVENT_TYPES, parseLeadEvent, zodIssues, type LeadEvent } from '../../core/model/events';
import { mayPromote, verdictOf } from '../../core/model/experiments';
import { EXPERIMENT_METRICS } from '../../core/model/sequence';
import { leadSchema } from '../../core/model/lead';
import { intentDecay } from '../../core/model/scoring';
import { BacktestTally } from '../../core/backtest';
import { simulate } from '../../core/simulate';
import { timelineSummary } from '../../core/timelineText';
import { placeOf } from '../../channels/place';
import type { ApiKey } from '../../db/repositories/apiKeys';
import { leadTimeline } from '../../db/repositories/audit';
import { liveRunnableCatalog, liveSequenceIds } from '../../db/repositories/catalogVersions';
import { latestEventAt } from '../../db/repositories/events';
import { experimentResults } from '../../db/repositories/experiments';
import { findRulePromotions } from '../../db/repositories/promotions';
import { funnelReport, rate, type FunnelQuery } from '../../db/repositories/funnel';
import { findLead, findLeadIdentity, leadFilterOptions, listLeads, profileOf } from '../../db/repositories/leads';
import { leadDetail } from '../leadDetail';
import { storedEvents } from '../pastEvents';
import { LocalTally, tallyPastLeads } from '../pastLeads';
import { CONTROL_BODIES, controlLead, type LeadControl } from '../leadWorkflows';
import { allows, type Scope } from '../plugins/auth';
import { sequenceList, sequenceReport, sequenceVersionDiff } from '../sequenceReports';
import type { PageKit, WebOptions } from './kit';

const PERIODS = { '30d': 'the last 30 days', '90d': 'the last 90 days', '365d': 'the last year' } as const;
const overviewQuery = z.object({
  period: z.enum(Object.keys(PERIODS) as [keyof typeof PERIODS]).default('90d'),
  cohort: z.enum(['week', 'month']).default('week'),
  source: z.string().max(128).optional(),
  sequence: z.string().max(128).optional(),
  segment: z.string().max(128).optional(),
});
const idParams = z.object({ id: z.string().min(1).max(200) });
const previewQuery = z.object({ lead: z.string().min(1).max(200).optional() });
const versionsQuery = z.object({ from: z.string().min(1).max(100), to: z.string().min(1).max(100) });
const leadSearch = z.object({
  search: z.string().trim().max(200).optional(),
  stage: z.string().max(50).optional(),
  tier: z.string().max(50).optional(),
  sequence: z.string().max(128).optional(),
  minScore: z.coerce.number().optional(),
  maxScore: z.coerce.number().optional(),
});
const actionParams = idParams.extend({ action: z.enum(Object.keys(CONTROL_BODIES) as [LeadControl]) });
const experimentsQuery = z.object({ metric: z.enum(EXPERIMENT_METRICS).default('clicked'), windowDays: z.coerce.number().int().min(1).max(365).default(30) });
const promoteForm = experimentsQuery.extend({ experiment: z.string().min(1).max(200), variant: z.string().min(1).max(64) });
/** Leads one backtest from the page runs at most (about 500 a second): `nurture backtest` runs them all. */
const BACKTEST_LIMIT = 2_000;
const backtestForm = z.object({
  since: z.enum(Object.keys(PERIODS) as [keyof typeof PERIODS]),
  mqlTotal: z.coerce.number().min(0).max(1_000),
  handoffTotal: z.coerce.number().min(0).max(1_000),
});
/** Rows of the preview's event table. */
const PREVIEW_ROWS = 8;
const previewForm = z.object({
  lead: z.string().max(20_000),
  start: z.iso.datetime({ local: true }),
  until: durationSchema,
  sequence: z.string().max(64).optional(),
  at: z.array(z.string().max(40)).default([]),
  type: z.array(z.string().max(40)).default([]),
  properties: z.array(z.string().max(2_000)).default([]),
});
const SAMPLE_LEAD = { id: 'preview-lead', email: 'dana@northwind.example', firstName: 'Dana', title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin', source: 'webinar' };

/** Blank optional fields of a GET form are absent. */
const filled = (query: unknown) => Object.fromEntries(Object.entries(query as Record<string, unknown>).filter(([, value]) => value !== ''));
/** What is wrong with a page's query, each field named; the page then shows its defaults. */
const queryError = (parsed: z.ZodSafeParseResult<unknown>) => (parsed.success ? undefined : zodIssues(parsed.error).map((issue) => `query.${issue.path}: ${issue.message}`).join('; '));
/** A datetime-local value (no zone) read as UTC. */
const utc = (local: string) => Date.parse(/Z$|[+-]\d\d:\d\d$/.test(local) ? local : `${local}Z`);

export const marketingRoutes: FastifyPluginAsyncZod<WebOptions & { kit: PageKit }> = async (app, { pool, client, catalog, promotions, now = Date.now, kit }) => {
  const { render } = kit;

  /** The signed-in marketer whose key has the scope; a rep, or a key without it, is refused. */
  const marketerOf = async (request: FastifyRequest, reply: FastifyReply, scope: Scope = 'read'): Promise<ApiKey | undefined> => {
    const viewer = await kit.viewerOf(request, reply);
    if (!viewer) return undefined;
    if (viewer.marketer && allows(viewer.marketer, scope)) return viewer.marketer;
    const message = viewer.rep ? 'These pages are for marketers: sign out, then sign in with a key of the marketing scope.' : `Your key lacks the ${scope} scope.`;
    return void (await render(reply, 'message', { ...viewer, title: 'Not for you', message }, 403));
  };
  const page = (reply: FastifyReply, marketer: ApiKey, view: string, data: Record<string, unknown>, status?: number) => render(reply, view, { marketer, ...data }, status);

  // --- overview ----------------------------------------------------------------------------------

  app.get('/app/overview', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const parsed = overviewQuery.safeParse(filled(request.query));
    const form = parsed.success ? parsed.data : overviewQuery.parse({});
    // Whole days, so the same link shows the same cohorts all day.
    const today = Math.floor(now() / 86_400_000) * 86_400_000;
    const query: FunnelQuery = {
      from: new Date(today - durationMs(form.period) + 86_400_000).toISOString(),
      to: new Date(today + 86_400_000).toISOString(),
      cohort: form.cohort,
      ...(form.source ? { source: form.source } : {}),
      ...(form.sequence ? { sequence: form.sequence } : {}),
      ...(form.segment ? { segment: form.segment } : {}),
    };
    const [report, options, sequences] = await Promise.all([funnelReport(pool, query), leadFilterOptions(pool), liveSequenceIds(pool)]);
    const totals = Object.fromEntries(report.stages.map((stage) => [stage, report.cohorts.reduce((sum, row) => sum + row.counts[stage], 0)]));
    return page(reply, marketer, 'overview', {
      title: 'Overview',
      form,
      error: queryError(parsed),
      periods: Object.entries(PERIODS).map(([value, label]) => ({ value, label })),
      options: { ...options, sequences },
      report,
      totals,
      stageRates: report.stages.slice(1).map((stage, i) => ({ stage, from: report.stages[i], n: totals[report.stages[i]!], rate: rate(totals[stage]!, totals[report.stages[i]!]!) })),
      funnelChart: chart('bar', [...report.stages], [{ label: 'leads', data: report.stages.map((stage) => totals[stage]!) }]),
      cohortChart: chart(
        'bar',
        report.cohorts.map((row) => row.cohort.slice(0, 10)),
        report.stages.map((stage) => ({ label: stage, data: report.cohorts.map((row) => row.counts[stage]) })),
      ),
    });
  });

  // --- sequences -----------------------------------------------------------------------------------

  app.get('/app/sequences', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    return page(reply, marketer, 'sequences', { title: 'Sequences', list: await sequenceList(pool) });
  });

  app.get('/app/sequences/:id', { schema: { params: idParams, hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const report = await sequenceReport(pool, request.params.id);
    if (!report) return page(reply, marketer, 'message', { title: 'No such sequence', message: `The live catalog has no sequence ${request.params.id}.` }, 404);
    // Two versions chosen: what changed from one to the other.
    const versions = versionsQuery.safeParse(request.query);
    const diff = versions.success ? await sequenceVersionDiff(pool, report.id, versions.data.from, versions.data.to) : undefined;
    return page(reply, marketer, 'sequence', { title: report.name, sequence: report, diff, compare: versions.success ? versions.data : undefined });
  });

  // --- experiments ---------------------------------------------------------------------------------

  app.get('/app/experiments', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const parsed = experimentsQuery.safeParse(filled(request.query));
    const query = parsed.success ? parsed.data : experimentsQuery.parse({});
    const [results, byRule] = await Promise.all([experimentResults(pool, query), findRulePromotions(pool)]);
    const promoted: Record<string, string> = { ...Object.fromEntries(byRule.map((promotion) => [promotion.experimentId, `${promotion.variant} by its rule`])), ...promotions?.read() };
    const mayWrite = Boolean(promotions) && allows(marketer, 'marketing');
    const experiments = results.map((experiment) => {
      const variants = experiment.variants.map((variant) => ({ ...variant, verdict: verdictOf(variant.versusControl) }));
      const winner = variants.find((variant) => variant.verdict === 'better than control');
      const state = promoted[experiment.id] ? `promoted: ${promoted[experiment.id]}` : winner ? `winner: ${winner.id}` : 'running';
      return { ...experiment, state, variants: variants.map((variant) => ({ ...variant, promotable: mayWrite && !promoted[experiment.id] && mayPromote(variant.verdict) })) };
    });
    return page(reply, marketer, 'experiments', { title: 'Experiments', query, error: queryError(parsed), metrics: EXPERIMENT_METRICS, experiments, mayWrite });
  });

  // The same rule as `nurture experiments promote`: the control, or a variant shown better than it on the metric.
  app.post('/app/experiments/promote', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply, 'marketing');
    if (!marketer) return reply;
    const back = { title: 'Not promoted', link: '/app/experiments', linkText: 'Back to the experiments' };
    const form = promoteForm.safeParse(request.body);
    if (!form.success) return page(reply, marketer, 'message', { ...back, message: zodIssues(form.error).map((issue) => `${issue.path}: ${issue.message}`).join('; ') }, 400);
    if (!promotions) return page(reply, marketer, 'message', { ...back, message: 'This process cannot write sequences/promotions.ts: promote with `nurture experiments promote` in a checkout.' }, 503);
    const { experiment, variant: variantId, metric, windowDays } = form.data;
    const [result] = await experimentResults(pool, { experiment, metric, windowDays });
    const variant = result?.variants.find((candidate) => candidate.id === variantId);
    if (!result || !variant) return page(reply, marketer, 'message', { ...back, message: `${experiment} has no variant ${variantId} that sent anything.` }, 404);
    const verdict = verdictOf(variant.versusControl);
    if (!mayPromote(verdict)) return page(reply, marketer, 'message', { ...back, message: `${experiment}: ${variantId} is not shown better than ${result.control} on ${metric} (${verdict}).` }, 409);
    promotions.record(experiment, variantId);
    return page(reply, marketer, 'message', {
      title: 'Promoted',
      message: `${variantId} is now the winner of ${experiment} (${verdict} on ${metric}) in sequences/promotions.ts. Review and commit it: \`nurture diff\` shows the change, and the lead workers' next start makes it the step for every lead.`,
      link: '/app/experiments',
      linkText: 'Back to the experiments',
    });
  });

  // --- leads ---------------------------------------------------------------------------------------

  app.get('/app/leads', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const parsed = leadSearch.safeParse(filled(request.query));
    const filter = parsed.success ? parsed.data : {};
    const [rows, options, sequences] = await Promise.all([listLeads(pool, { ...filter, limit: 100 }), leadFilterOptions(pool), liveSequenceIds(pool)]);
    return page(reply, marketer, 'leads', {
      title: 'Leads',
      filter,
      error: queryError(parsed),
      options: { ...options, sequences },
      leads: rows.map((row) => ({ id: row.id, ...profileOf(row) })),
    });
  });

  app.get('/app/leads/:id', { schema: { params: idParams, hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const [detail, timeline, sequences] = await Promise.all([leadDetail(pool, client, request.params.id), leadTimeline(pool, request.params.id, 500), liveSequenceIds(pool)]);
    if (!detail) return page(reply, marketer, 'message', { title: 'No such lead', message: `There is no lead ${request.params.id}.` }, 404);
    const intent = detail.state?.scores.intent;
    const halfLife = catalog?.model.scoring.halfLife;
    const decay = intent !== undefined && halfLife ? intentDecay(intent, halfLife, 60, 5) : [];
    return page(reply, marketer, 'lead', {
      title: String(detail.profile.firstName ?? detail.id),
      lead: detail,
      mayControl: allows(marketer, 'marketing'),
      sequences,
      timeline: timeline.map((entry) => ({ ...entry, at: entry.at.toISOString(), text: timelineSummary(entry.kind, entry.detail) })),
      decayChart:
        decay.length
          ? chart('line', decay.map((point) => `+${point.day}d`), [{ label: 'intent if quiet', data: decay.map((point) => point.intent) }])
          : null,
    });
  });

  app.post('/app/leads/:id/:action', { schema: { params: actionParams, hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply, 'marketing');
    if (!marketer) return reply;
    const { id, action } = request.params;
    const back = { title: 'Not done', link: `/app/leads/${encodeURIComponent(id)}`, linkText: 'Back to the lead' };
    const body = CONTROL_BODIES[action].safeParse(request.body ?? {});
    if (!body.success) return page(reply, marketer, 'message', { ...back, message: zodIssues(body.error).map((issue) => `${issue.path}: ${issue.message}`).join('; ') }, 400);
    const answer = await controlLead(pool, client, id, action, body.data as never);
    if (!answer) return page(reply, marketer, 'message', { ...back, message: `There is no lead ${id}.` }, 404);
    if (!answer.accepted) return page(reply, marketer, 'message', { ...back, message: `${answer.reason}.` }, 409);
    return reply.redirect(`/app/leads/${encodeURIComponent(id)}`, 303);
  });

  // --- backtest ------------------------------------------------------------------------------------

  const backtestPage = (reply: FastifyReply, marketer: ApiKey, values: Record<string, unknown>, extra: Record<string, unknown> = {}, status?: number) =>
    page(reply, marketer, 'backtest', { title: 'Backtest', available: Boolean(catalog), periods: Object.entries(PERIODS).map(([value, label]) => ({ value, label })), limit: BACKTEST_LIMIT, values, ...extra }, status);

  app.get('/app/backtest', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const qualification = catalog?.model.qualification;
    return backtestPage(reply, marketer, { since: '90d', mqlTotal: qualification?.mql.total, handoffTotal: qualification?.handoff.total });
  });

  // The working catalog (this process's), with the bars the form sets, against the live one, on the leads that arrived in the window.
  app.post('/app/backtest', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const values = request.body as Record<string, unknown>;
    if (!catalog) return backtestPage(reply, marketer, values, {}, 503);
    const form = backtestForm.safeParse(values);
    if (!form.success) return backtestPage(reply, marketer, values, { problems: zodIssues(form.error).map((issue) => `${issue.path}: ${issue.message}`) }, 400);
    const live = await liveRunnableCatalog(pool);
    if (!live) return backtestPage(reply, marketer, values, { problems: ['no catalog is live yet: a lead worker publishes its catalog when it starts'] }, 409);
    const { qualification } = catalog.model;
    const candidate = {
      ...catalog,
      model: { ...catalog.model, qualification: { ...qualification, mql: { ...qualification.mql, total: form.data.mqlTotal }, handoff: { ...qualification.handoff, total: form.data.handoffTotal } } },
    };
    const end = (await latestEventAt(pool))?.getTime() ?? now();
    const tally = new BacktestTally({ live, candidate }, end);
    const leads = await tallyPastLeads(pool, new LocalTally(tally, storedEvents(pool, new Date(end))), new Date(end - durationMs(form.data.since)), new Date(end), { page: 100, limit: BACKTEST_LIMIT });
    const report = tally.report();
    const causes = [...new Set([...Object.keys(report.deferrals.live), ...Object.keys(report.deferrals.candidate)])].sort();
    return backtestPage(reply, marketer, values, { report, leads, end: new Date(end).toISOString(), deferrals: causes.map((cause) => ({ cause, live: report.deferrals.live[cause] ?? 0, candidate: report.deferrals.candidate[cause] ?? 0 })) });
  });

  // --- preview -------------------------------------------------------------------------------------

  const previewPage = (reply: FastifyReply, marketer: ApiKey, values: Record<string, unknown>, extra: Record<string, unknown> = {}, status?: number) =>
    page(
      reply,
      marketer,
      'preview',
      {
        title: 'Preview',
        available: Boolean(catalog),
        sequences: catalog ? Object.keys(catalog.latest).sort() : [],
        eventTypes: EVENT_TYPES,
        values,
        ...extra,
      },
      status,
    );

  // A sample lead, or a real one's profile and consent (`?lead=<id>`, the lead page's link).
  app.get('/app/preview', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const leadId = previewQuery.safeParse(request.query).data?.lead;
    const [identity, row] = leadId ? await Promise.all([findLeadIdentity(pool, leadId), findLead(pool, leadId)]) : [];
    const lead = identity ? { ...identity, consent: row?.consent } : SAMPLE_LEAD;
    const start = new Date(Math.floor(now() / 3_600_000) * 3_600_000).toISOString().slice(0, 16);
    return previewPage(reply, marketer, { lead: JSON.stringify(lead, null, 2), start, until: '60d', rows: blankRows(PREVIEW_ROWS) });
  });

  app.post('/app/preview', { schema: { hide: true } }, async (request, reply) => {
    const marketer = await marketerOf(request, reply);
    if (!marketer) return reply;
    const raw = request.body as Record<string, unknown>;
    const list = (value: unknown) => (value === undefined ? [] : [value].flat().map(String));
    const form = previewForm.safeParse({ ...raw, at: list(raw?.at), type: list(raw?.type), properties: list(raw?.properties), sequence: raw?.sequence || undefined });
    const rows = Array.from({ length: PREVIEW_ROWS }, (_, i) => ({ at: list(raw?.at)[i] ?? '', type: list(raw?.type)[i] ?? '', properties: list(raw?.properties)[i] ?? '' }));
    const values = { ...raw, rows };
    if (!catalog) return previewPage(reply, marketer, values, {}, 503);
    const problems: string[] = form.success ? [] : zodIssues(form.error).map((issue) => `${issue.path}: ${issue.message}`);
    const input = form.success ? previewInput(form.data, catalog.latest) : undefined;
    problems.push(...(input?.problems ?? []));
    if (!input?.run || problems.length) return previewPage(reply, marketer, values, { problems }, 400);
    const result = simulate({ catalog, ...input.run });
    return previewPage(reply, marketer, values, { result });
  });
};

/** A chart's data for charts.js, as JSON that is safe inside a script element (the page prints it raw). */
const chart = (type: 'bar' | 'line', labels: string[], datasets: { label: string; data: number[] }[]) => JSON.stringify({ type, labels, datasets }).replace(/</g, '\\u003c');
const blankRows = (n: number) => Array.from({ length: n }, () => ({ at: '', type: '', properties: '' }));

/** The preview form as the simulation's input, or the problems with it, each naming its field. */
function previewInput(form: z.infer<typeof previewForm>, sequences: Record<string, string>) {
  const problems: string[] = [];
  let lead: z.infer<typeof leadSchema> | undefined;
  try {
    const parsed = leadSchema.safeParse(JSON.parse(form.lead));
    if (parsed.success) lead = parsed.data;
    else problems.push(...zodIssues(parsed.error).map((issue) => `lead.${issue.path}: ${issue.message}`));
  } catch {
    problems.push('lead: must be JSON, e.g. {"id": "lead-1", "industry": "software"}');
  }
  if (form.sequence && !sequences[form.sequence]) problems.push(`sequence: unknown sequence ${form.sequence}`);
  const events: LeadEvent[] = [];
  form.type.forEach((type, i) => {
    if (!type) return;
    let properties: unknown = {};
    try {
      properties = form.properties[i]?.trim() ? JSON.parse(form.properties[i]!) : {};
    } catch {
      return void problems.push(`events[${i + 1}].properties: must be JSON, e.g. {"category": "pricing"}`);
    }
    const at = utc(form.at[i] ?? '');
    if (!Number.isFinite(at)) return void problems.push(`events[${i + 1}].at: choose when it happens`);
    const parsed = parseLeadEvent({ eventId: `preview-${i + 1}`, leadId: lead?.id ?? 'preview-lead', type, occurredAt: new Date(at).toISOString(), properties });
    if (parsed.ok) events.push(parsed.event);
    else problems.push(...parsed.issues.map((issue) => `events[${i + 1}].${issue.path}: ${issue.message}`));
  });
  const given = lead;
  if (!given || problems.length) return { problems };
  return { problems, run: { lead: { ...given, ...placeOf(given) }, events, start: utc(form.start), until: form.until, ...(form.sequence ? { sequenceId: form.sequence } : {}) } };
}
