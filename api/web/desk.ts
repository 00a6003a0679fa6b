// The sales inbox under /app: server-rendered pages (Liquid) made live with htmx: a rep signs in by a
// link mailed to them, sees only their own open tasks by SLA due time with a countdown, opens one
// for the lead's context and decides; a manager also sees the team's queue (unassigned, breaching,
// breached) and reassigns. A change to any task reaches open pages as a server-sent event.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RECYCLE_REASONS } from '../../core/model/tuning';
import type { HandoffRequest } from '../../core/protocol';
import { alertsOf } from '../../db/repositories/alerts';
import { closedTasksOf, openTasksOf, type DeskRep, type DeskTask } from '../../db/repositories/desk';
import { findHandoff } from '../../db/repositories/handoffs';
import { findLeadIdentity } from '../../db/repositories/leads';
import { assignmentsOf } from '../../db/repositories/reps';
import { emailEngagement } from '../../db/repositories/sends';
import { closeStreamsOnShutdown, openEventStream } from '../eventStream';
import { canSee, refusal } from '../deskAccess';
import { actOnHandoff, AlreadyDecided, decideHandoff, DECISION_BODIES, DeskActionRefused, waitForClose } from '../handoffDecisions';
import type { PageKit, WebOptions } from './kit';

/** Open tasks due within this are "breaching" in a manager's queue. */
const BREACHING_MS = 15 * 60 * 1000;

const idParams = z.object({ id: z.string().min(1).max(200) });
const actionParams = idParams.extend({ action: z.enum(['accept', 'meeting-booked', 'reject', 'snooze', 'reassign']) });
/** How long an owner may snooze a task from the page. */
const SNOOZES = {
  '1h': { ms: 3_600_000, label: '1 hour' },
  '2h': { ms: 7_200_000, label: '2 hours' },
  '4h': { ms: 14_400_000, label: '4 hours' },
  '1d': { ms: 86_400_000, label: '1 day' },
  '2d': { ms: 172_800_000, label: '2 days' },
} as const;
const snoozeForm = z.object({ for: z.enum(Object.keys(SNOOZES) as [keyof typeof SNOOZES]) });
const reassignForm = z.object({ to: z.string().max(64).optional(), note: z.string().max(2000).optional() });

export const deskRoutes: FastifyPluginAsyncZod<WebOptions & { kit: PageKit }> = async (app, { pool, client, feed, settleMs = 5_000, now = Date.now, kit }) => {
  const { render } = kit;

  /** The signed-in rep; a marketer is sent to their pages (the inbox is the reps'). */
  const repOf = async (request: FastifyRequest, reply: FastifyReply): Promise<DeskRep | undefined> => {
    const viewer = await kit.viewerOf(request, reply);
    if (viewer?.rep) return viewer.rep;
    if (!viewer) return undefined;
    if (request.method === 'GET' && request.url === '/app') return void (await reply.redirect('/app/overview', 303));
    return void (await render(reply, 'message', { marketer: viewer.marketer, title: 'For reps', message: 'The sales inbox is for reps: sign in with the link mailed to your work address.' }, 403));
  };

  // --- the inbox -------------------------------------------------------------------------------

  const myTasks = (rep: DeskRep) => openTasksOf(pool, [rep.id], false);

  app.get('/app', { schema: { hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    const [open, closed] = await Promise.all([myTasks(rep), closedTasksOf(pool, rep.id, 10)]);
    return render(reply, 'inbox', { rep, tasks: open.map(listItem(now())), closed: closed.map(listItem(now())), live: Boolean(feed) });
  });

  app.get('/app/list', { schema: { hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    return render(reply, 'taskList', { tasks: (await myTasks(rep)).map(listItem(now())), emptyText: 'No open handoffs. New ones appear here as they are assigned to you.' });
  });

  const teamQueue = async (rep: DeskRep) => {
    const tasks = (await openTasksOf(pool, rep.reports.map((report) => report.id), true)).map(listItem(now()));
    return {
      unassigned: tasks.filter((task) => !task.owner),
      breached: tasks.filter((task) => task.owner && task.breached),
      breaching: tasks.filter((task) => task.owner && !task.breached && task.dueInMs !== undefined && task.dueInMs <= BREACHING_MS),
      onTrack: tasks.filter((task) => task.owner && !task.breached && (task.dueInMs === undefined || task.dueInMs > BREACHING_MS)),
    };
  };

  app.get('/app/team', { schema: { hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    if (!rep.reports.length) return render(reply, 'message', { rep, title: 'No team', message: 'The team queue is for managers: no active rep names you as their manager.' }, 403);
    return render(reply, 'team', { rep, queue: await teamQueue(rep), live: Boolean(feed) });
  });

  app.get('/app/team/list', { schema: { hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    if (!rep.reports.length) return reply.code(403).send();
    return render(reply, 'teamQueue', { queue: await teamQueue(rep) });
  });

  app.get('/app/handoffs/:id', { schema: { params: idParams, hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    const task = await findHandoff(pool, request.params.id);
    // Another rep's task is answered as if it did not exist.
    if (!task || !canSee(rep, task)) return render(reply, 'message', { rep, title: 'No such task', message: 'There is no task here for you.' }, 404);
    const [lead, emails, assignments, alerts] = await Promise.all([findLeadIdentity(pool, task.leadId), emailEngagement(pool, task.leadId), assignmentsOf(pool, task.id), alertsOf(pool, task.id)]);
    return render(reply, 'task', {
      rep,
      task: listItem(now())({ ...task, lead: null }),
      lead,
      context: contextOf(task.context as unknown as HandoffRequest),
      emails: emails.map((email) => ({ ...email, at: email.at.toISOString() })),
      assignments,
      alerts,
      mine: task.owner === rep.id,
      // A manager hands the task to one of their reports, or to the next rep by the rules.
      reassignTo: rep.reports.length ? [{ id: rep.id, name: `${rep.name} (me)` }, ...rep.reports].filter((report) => report.id !== task.owner) : [],
      snoozes: Object.entries(SNOOZES).map(([value, { label }]) => ({ value, label })),
      reasons: RECYCLE_REASONS,
    });
  });

  app.post('/app/handoffs/:id/:action', { schema: { params: actionParams, hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    const { id, action } = request.params;
    const task = await findHandoff(pool, id);
    if (!task || !canSee(rep, task)) return render(reply, 'message', { rep, title: 'No such task', message: 'There is no task here for you.' }, 404);
    const back = { rep, title: 'Not done', link: `/app/handoffs/${encodeURIComponent(id)}` };
    const refused = refusal(rep, task, action);
    if (refused) return render(reply, 'message', { ...back, message: `${refused}.` }, 403);
    if (task.status !== 'open') return render(reply, 'message', { ...back, message: `The task is already ${task.status.replace(/_/g, ' ')}.` }, 409);
    const invalid = (issues: z.core.$ZodIssue[]) => render(reply, 'message', { ...back, message: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') }, 400);
    try {
      if (action === 'snooze') {
        const form = snoozeForm.safeParse(request.body);
        if (!form.success) return invalid(form.error.issues);
        await actOnHandoff(pool, client, id, 'snooze', { until: new Date(now() + SNOOZES[form.data.for].ms).toISOString(), by: rep.id });
      } else if (action === 'reassign') {
        const form = reassignForm.safeParse(request.body);
        if (!form.success) return invalid(form.error.issues);
        // Blank: to the next rep by the routing rules.
        await actOnHandoff(pool, client, id, 'reassign', { ...(form.data.to ? { to: form.data.to } : {}), ...(form.data.note ? { note: form.data.note } : {}), by: rep.id });
      } else {
        const body = DECISION_BODIES[action].safeParse({ ...(request.body as object), by: rep.id });
        if (!body.success) return invalid(body.error.issues);
        await decideHandoff(pool, client, id, action, body.data);
        // A decision closes the task in an activity after the update: the page shows it closed. A
        // desk action's update answers once the task row is written, so it needs no wait.
        await waitForClose(pool, id, settleMs);
      }
    } catch (err) {
      if (err instanceof AlreadyDecided) return render(reply, 'message', { ...back, message: `${err.message}.` }, 409);
      if (err instanceof DeskActionRefused) return render(reply, 'message', { ...back, message: `${err.message}.` }, err.status);
      throw err;
    }
    app.metrics.handoffActions.inc({ action });
    return reply.redirect(`/app/handoffs/${encodeURIComponent(id)}`, 303);
  });

  // --- live --------------------------------------------------------------------------------------

  if (!feed) return;
  const shutdown = closeStreamsOnShutdown(app);
  app.get('/app/events', { schema: { hide: true } }, async (request, reply) => {
    const rep = await repOf(request, reply);
    if (!rep) return reply;
    const watched = new Set([rep.id, ...rep.reports.map((report) => report.id)]);
    const concerns = (owner: string | null) => (owner === null ? rep.reports.length > 0 : watched.has(owner));
    const events = openEventStream(request, reply, shutdown);
    try {
      for await (const change of feed.changes(events.signal)) {
        if (concerns(change.owner) || (change.previousOwner !== null && watched.has(change.previousOwner))) events.send('handoffs', change.id);
      }
    } finally {
      events.end();
    }
  });
};

/** A task as the lists show it: who, why, and how long until its SLA is due. */
function listItem(now: number) {
  return (task: DeskTask) => {
    const context = task.context as unknown as Partial<HandoffRequest>;
    const dueInMs = task.slaDueAt ? Date.parse(task.slaDueAt) - now : undefined;
    return {
      ...task,
      href: `/app/handoffs/${encodeURIComponent(task.id)}`,
      reason: context.reason,
      total: context.scores?.total,
      dueInMs,
      breached: task.status === 'open' && dueInMs !== undefined && dueInMs < 0,
    };
  };
}

/** The lead's context as the task page shows it: newest first, times as ISO text. */
function contextOf(context: HandoffRequest) {
  const iso = (at: number) => new Date(at).toISOString();
  return {
    reason: context.reason,
    at: iso(context.at),
    scores: context.scores,
    profile: context.profile,
    pages: [...(context.recentPages ?? [])].reverse().map((page) => ({ ...page, at: iso(page.at) })),
    downloads: [...(context.downloads ?? [])].reverse().map((download) => ({ ...download, at: iso(download.at) })),
    path: (context.path ?? []).map((step) => ({ ...step, at: iso(step.at) })),
  };
}
