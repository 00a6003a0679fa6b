// The sales-handoff workflow's activities: rep assignment, the task with the lead's context,
// escalation, desk actions and closing, over the handoffs and reps repositories, counted and logged
// once each.
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordActivity } from '../db/repositories/audit';
import { closeHandoff, moveHandoff, openHandoff, reassignHandoff } from '../db/repositories/handoffs';
import { assignmentsOf, findAssignment, findRep, recordAssignment, routingInputs, teamSlaOf } from '../db/repositories/reps';
import { claimAlert, markAlert } from '../db/repositories/alerts';
import { findHandoff } from '../db/repositories/handoffs';
import { findLeadIdentity } from '../db/repositories/leads';
import { postAlert, sendAlert, textAlert, type AlertSettings, type HandoffAlert } from '../channels/salesAlerts';
import type { HandoffRequest } from '../core/protocol';
import { inTransaction } from '../db/pool';
import { addWorkingTime, assignByHand, repSchema, routeHandoff, type RoutingDecision } from '../core/model/routing';
import type { Database } from '../db/pool';
import { durationMs } from '../core/model/duration';
import { countHandoff, observeSpeedToLead } from './metrics';
import type { HandoffActivities } from './types';

export interface HandoffDependencies {
  pool: Pool;
  /** Free-mail domains (the model's): a gmail.com address names no account to keep. */
  freeMailDomains?: string[];
  /** Email alerts to reps and managers; without them a notice is only recorded on the task. */
  alerts?: AlertSettings;
  now?: () => number;
}

export function createHandoffActivities({ pool, freeMailDomains = [], alerts, now = Date.now }: HandoffDependencies): HandoffActivities {
  /** Alerts through each of the rep's channels once per assignment round, however often the activity runs: claimed, sent, marked. */
  const alertOnce = async (alert: HandoffAlert, round: number) => {
    if (!alerts) return;
    const { channels, email, phone } = alert.to;
    const webhookUrl = channels?.webhookUrl;
    const { sms } = alerts;
    const senders = [
      ...(email && channels?.email !== false ? [{ channel: 'email' as const, send: () => sendAlert(alert, alerts, now()) }] : []),
      ...(sms && channels?.sms && phone ? [{ channel: 'sms' as const, send: () => textAlert(alert, sms, alerts, now()) }] : []),
      ...(webhookUrl ? [{ channel: 'webhook' as const, send: () => postAlert(alert, webhookUrl, alerts, now()).then(() => undefined) }] : []),
    ];
    for (const { channel, send } of senders) {
      const key = `${alert.handoff.id}/${round}/${alert.kind}/${alert.to.id}/${channel}`;
      if (!(await claimAlert(pool, { key, handoffId: alert.handoff.id, rep: alert.to.id, kind: alert.kind, channel }))) continue;
      // A failure leaves the claim for the activity's retry.
      const providerId = await send();
      await markAlert(pool, key, 'sent', providerId ? { providerId } : {});
    }
  };

  /** The rules' choice for the lead, every rep but those in `exclude` considered. */
  const byRules = async (tx: Database, lead: HandoffRequest['profile'], exclude: string[], decidedAt: number): Promise<RoutingDecision> => {
    const domain = lead.emailDomain && !freeMailDomains.includes(lead.emailDomain) ? lead.emailDomain : undefined;
    const { reps, context } = await routingInputs(tx, domain);
    // A rep row written around the API (by SQL) and no longer valid is passed over, not fatal.
    const valid = reps.flatMap((rep) => {
      const parsed = repSchema.safeParse(rep);
      return parsed.success ? [parsed.data] : [];
    });
    const decided = routeHandoff(lead, valid, { ...context, now: decidedAt, exclude });
    for (const rep of reps) if (!valid.some((ok) => ok.id === rep.id)) decided.skipped.push({ rep: rep.id, why: 'invalid settings' });
    return decided;
  };

  /** A manager's choice of the rep `to`, who must exist and be active. */
  const byHand = async (tx: Database, to: string, decidedAt: number, by: string | undefined): Promise<RoutingDecision> => {
    const found = await findRep(tx, to);
    if (!found) throw ApplicationFailure.nonRetryable(`to: there is no rep ${to}`, 'UnknownRep');
    const rep = repSchema.safeParse(found);
    const decided = rep.success ? assignByHand(rep.data, decidedAt, by) : { refused: `${to} has invalid settings` };
    if ('refused' in decided) throw ApplicationFailure.nonRetryable(`to: ${decided.refused}`, 'UnknownRep');
    return decided;
  };

  return {
    async assignRep({ handoffId, lead, exclude, sla, round = exclude.length, reassign }) {
      // One decision per round: a retry of this activity gets the first one back.
      const { decision, at } = await inTransaction(pool, async (tx) => {
        const made = await findAssignment(tx, handoffId, round);
        if (made) return made;
        const decidedAt = now();
        const decided = reassign?.to ? await byHand(tx, reassign.to, decidedAt, reassign.by) : await byRules(tx, lead, exclude, decidedAt);
        if (reassign && !decided.owner) throw ApplicationFailure.nonRetryable('no other rep may take the task by the routing rules', 'NoRepAvailable');
        if (reassign?.by) decided.by = reassign.by;
        const assignment = { decision: decided, at: decidedAt };
        await recordAssignment(tx, handoffId, round, assignment);
        return assignment;
      });
      if (!decision.owner) return {};
      if (!sla) return { owner: decision.owner };
      // The SLA counts the owner's working time from when they start (or from the decision, the same
      // on every retry), by their team's SLA if it has one.
      const owner = repSchema.safeParse(await findRep(pool, decision.owner));
      const rep = owner.success ? owner.data : undefined;
      const teamSla = rep?.team ? await teamSlaOf(pool, rep.team) : undefined;
      return { owner: decision.owner, slaDueAt: addWorkingTime(decision.startsAt ?? at, durationMs(teamSla ?? sla), rep?.workingHours) };
    },

    async openHandoffTask({ handoff, owner, slaDueAt }) {
      if (!(await openHandoff(pool, handoff, owner, slaDueAt))) return;
      // The lead's latest event: the one that qualified it, when an event triggered the handoff.
      const speedToLead = (Date.now() - (handoff.path.at(-1)?.at ?? handoff.at)) / 1000;
      observeSpeedToLead(speedToLead);
      countHandoff('opened', { handoffId: handoff.id, leadId: handoff.leadId, owner: owner ?? null, reason: handoff.reason, speedToLead });
    },

    async notifyRep({ handoffId, leadId, owner, escalation, notifyManager, round }) {
      // A notice per assignment round; before desk actions, the rounds were the escalations.
      const key = round ?? escalation;
      await recordActivity(pool, leadId, 'handoffNotified', Date.now(), { handoffId, owner: owner ?? null, escalation, notifyManager, ...(round === undefined ? {} : { round }) }, `${handoffId}/notified/${key}`);
      const task = await findHandoff(pool, handoffId);
      if (!alerts || !task) return;
      const base = { handoff: task.context as unknown as HandoffRequest, lead: await findLeadIdentity(pool, leadId), slaDueAt: task.slaDueAt };
      const ownerRep = owner ? await findRep(pool, owner) : undefined;
      // On a breach, the manager of the rep who let it wait hears of it.
      const previousId = escalation > 0 ? (await assignmentsOf(pool, handoffId)).find((assignment) => assignment.round === key - 1)?.owner : undefined;
      const previous = previousId ? await findRep(pool, previousId) : undefined;
      const managerId = notifyManager && escalation > 0 ? (previous?.manager ?? ownerRep?.manager) : undefined;
      const manager = managerId ? await findRep(pool, managerId) : undefined;
      if (ownerRep) await alertOnce({ ...base, kind: 'assigned', to: ownerRep }, key);
      if (manager) await alertOnce({ ...base, kind: 'breach', to: manager, owner: ownerRep, previous }, key);
    },

    async reassignHandoffTask({ handoffId, owner, escalations, slaDueAt }) {
      if (await reassignHandoff(pool, handoffId, owner, escalations, slaDueAt)) countHandoff('escalated', { handoffId, owner: owner ?? null, escalations });
    },

    async moveHandoffTask({ handoffId, owner, slaDueAt, action, by }) {
      if (await moveHandoff(pool, handoffId, owner, slaDueAt)) countHandoff(action, { handoffId, owner: owner ?? null, slaDueAt: new Date(slaDueAt).toISOString(), ...(by ? { by } : {}) });
    },

    async closeHandoffTask({ handoffId, status, reasonCode, note }) {
      if (await closeHandoff(pool, handoffId, status, reasonCode, note)) countHandoff(status, { handoffId, ...(reasonCode ? { reasonCode } : {}) });
    },
  };
}
