// The links in a rep's alert: `GET /s/:token` shows the action with its button (and, to reject, the
// reasons), changing nothing (mail scanners follow links); `POST` acts, for the rep the link was
// signed for only, while the task is theirs and open and the link has not expired.
import type { Client } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Liquid } from 'liquidjs';
import type { Pool } from 'pg';
import { z } from 'zod';
import { readActionToken, type ActionToken } from '../../channels/salesAlerts';
import { RECYCLE_REASONS } from '../../core/model/tuning';
import { findHandoff, type HandoffTask } from '../../db/repositories/handoffs';
import { findLeadIdentity } from '../../db/repositories/leads';
import { AlreadyDecided, decideHandoff, DECISION_BODIES, waitForClose } from '../handoffDecisions';

export interface SalesLinkOptions {
  pool: Pool;
  client: Client;
  linkSecret: string;
  settleMs?: number;
  now?: () => number;
}

const tokenParams = z.object({ token: z.string().min(1).max(2000) });
const TITLES = { accept: 'Accept', 'meeting-booked': 'Meeting booked', reject: 'Reject' } as const;

const page = new Liquid({ strictFilters: true, outputEscape: 'escape' });
const PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ title }}</title><body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem">
<h1>{{ title }}</h1><p>{{ message }}</p>
{% if form %}<form method="post">
{% if form.reject %}<p><label for="reasonCode">Reason</label><br><select id="reasonCode" name="reasonCode" required>{% for reason in form.reasons %}<option value="{{ reason }}">{{ reason | replace: "_", " " }}</option>{% endfor %}</select></p>
<p><label for="note">Note (optional)</label><br><textarea id="note" name="note" rows="3" cols="40" maxlength="2000"></textarea></p>{% endif %}
<button type="submit">{{ title }}</button></form>{% endif %}</body></html>`;

export const salesLinkRoutes: FastifyPluginAsyncZod<SalesLinkOptions> = async (app, { pool, client, linkSecret, settleMs = 5_000, now = Date.now }) => {
  const show = async (reply: FastifyReply, status: number, title: string, message: string, form?: { reject: boolean; reasons: readonly string[] }) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('text/html')
      .send(await page.parseAndRender(PAGE, { title, message, form }));

  /** The link's token and its open task, or the page that says why it cannot act. */
  const check = async (text: string, reply: FastifyReply): Promise<{ token: ActionToken; task: HandoffTask } | undefined> => {
    const token = readActionToken(text, linkSecret);
    if (!token) return void (await show(reply, 404, 'Unknown link', 'This link is not valid.'));
    if (token.exp < now()) return void (await show(reply, 410, 'Link expired', 'This link has expired: open the task in the sales inbox instead.'));
    const task = await findHandoff(pool, token.handoffId);
    if (!task) return void (await show(reply, 404, 'Unknown task', 'This task does not exist any more.'));
    if (task.status !== 'open') return void (await show(reply, 409, 'Already decided', `This task is ${task.status.replace(/_/g, ' ')}.`));
    if (task.owner !== token.rep) return void (await show(reply, 403, 'Not your task', `This task is now assigned to ${task.owner ?? 'nobody'}: the link acted for ${token.rep} only.`));
    return { token, task };
  };

  app.get('/s/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const checked = await check(request.params.token, reply);
    if (!checked) return reply;
    const { token, task } = checked;
    const lead = await findLeadIdentity(pool, task.leadId);
    const who = [lead?.firstName, lead?.lastName].filter(Boolean).join(' ') || lead?.email || task.leadId;
    return show(reply, 200, TITLES[token.action], `${TITLES[token.action]}: ${who}${lead?.company ? `, ${lead.company}` : ''}.`, { reject: token.action === 'reject', reasons: RECYCLE_REASONS });
  });

  app.post('/s/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const checked = await check(request.params.token, reply);
    if (!checked) return reply;
    const { token, task } = checked;
    const body = DECISION_BODIES[token.action].safeParse({ ...(request.body as object), by: token.rep });
    if (!body.success) return show(reply, 400, TITLES[token.action], `Not done: ${body.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`);
    try {
      await decideHandoff(pool, client, task.id, token.action, body.data);
    } catch (err) {
      if (err instanceof AlreadyDecided) return show(reply, 409, 'Already decided', `${err.message}.`);
      throw err;
    }
    app.metrics.handoffActions.inc({ action: token.action });
    const settled = await waitForClose(pool, task.id, settleMs);
    return show(reply, 200, 'Done', settled.status === 'open' ? 'Your decision is on its way.' : `The task is ${settled.status.replace(/_/g, ' ')}.`);
  });
};
