// Stages and sales handoffs: MQL by fit and total, a handoff on a demo request or on score plus a
// recent high-intent action, and what sales' answer does to the lead (SQL, disqualified, or recycled
// and re-contacted from the long-term pool after the reason's delay).
import { durationMs } from '../model/duration';
import { HIGH_INTENT_KEYS, type LeadEvent } from '../model/events';
import { NURTURE_STAGES } from '../model/stages';
import type { RecycleReason } from '../model/tuning';
import type { CrmOutcome, HandoffOutcome, Reply } from '../protocol';
import type { Run } from './run';

export function qualify(run: Run, trigger: LeadEvent | undefined): void {
  const s = run.state;
  const { mql, handoff } = run.model.qualification;
  const scores = run.totals();
  // A recycled lead rests until its recontact date: sales' decision is not undone by old points.
  const mayQualify = s.stage === 'lead' || (s.stage === 'recycled' && s.recontactAt === undefined);
  if (mayQualify && decide(run, (bars) => scores.fit >= bars.mql.fit && scores.intent >= bars.mql.intent && scores.total >= bars.mql.total)) {
    run.changeStage('mql', `fit ${scores.fit} ≥ ${mql.fit}, intent ${scores.intent} ≥ ${mql.intent} and total ${scores.total} ≥ ${mql.total}`);
  }
  if (s.handoffs.open || s.stage === 'disqualified') return;
  if (trigger?.type === 'demo_request' && (NURTURE_STAGES.includes(s.stage) || s.stage === 'unsubscribed')) {
    startHandoff(run, 'demo request');
    return;
  }
  if (!NURTURE_STAGES.includes(s.stage) || s.recontactAt !== undefined) return;
  if (decide(run, (bars) => scores.total >= bars.handoff.total && recentHighIntent(run, bars.handoff.recentWindow) !== undefined)) {
    startHandoff(run, `total ${scores.total} ≥ ${handoff.total} and ${recentHighIntent(run, handoff.recentWindow)} within ${handoff.recentWindow}`);
  }
}

/** A decision by the run's qualification bars, and by its shadow's too, noting there when they differ. */
function decide(run: Run, byBars: (bars: Run['model']['qualification']) => boolean): boolean {
  const decision = byBars(run.model.qualification);
  if (run.shadow && !run.shadow.diverged && byBars(run.shadow.qualification) !== decision) run.shadow.diverged = true;
  return decision;
}

/** The high-intent action the lead took within `window` of now, if any. */
function recentHighIntent(run: Run, window: string): string | undefined {
  const since = run.now - durationMs(window);
  return HIGH_INTENT_KEYS.find((key) => (run.state.aggregates[key]?.lastAt ?? -Infinity) >= since);
}

export function startHandoff(run: Run, reason: string): void {
  const s = run.state;
  if (s.stage === 'lead' || s.stage === 'recycled') run.changeStage('mql', `handoff: ${reason}`);
  const number = s.handoffs.count + 1;
  const id = `handoff-${s.leadId}-${number}`;
  s.handoffs = { count: number, open: { id, openedAt: run.now } };
  s.recontactAt = undefined;
  run.commands.push({
    type: 'startHandoff',
    handoff: {
      id,
      number,
      leadId: s.leadId,
      reason,
      at: run.now,
      scores: run.scores(),
      profile: s.profile,
      recentPages: s.recent.pages,
      downloads: s.recent.downloads,
      path: s.recent.path,
    },
  });
}

export function closeHandoff(run: Run, handoffId: string, outcome: HandoffOutcome, reasonCode: RecycleReason | undefined): void {
  const s = run.state;
  if (s.handoffs.open?.id !== handoffId) return;
  s.handoffs.open = undefined;
  if (outcome === 'accepted' || outcome === 'meeting_booked') {
    run.changeStage('sql', outcome === 'accepted' ? 'handoff accepted by sales' : 'meeting booked by sales');
    run.exitSequence('handed off to sales');
    return;
  }
  recycle(run, outcome === 'no_response' ? 'no_response' : (reasonCode ?? 'other'), 'sales');
}

/** Back to marketing for a reason, re-contacted after the reason's delay; not the profile: disqualified. */
function recycle(run: Run, reason: RecycleReason, by: 'sales' | 'crm'): void {
  if (reason === 'not_icp') {
    run.changeStage('disqualified', `${by}: not the ideal customer profile`);
    run.exitSequence('disqualified');
    return;
  }
  run.changeStage('recycled', `${by}: ${reason}`);
  run.exitSequence(`recycled: ${reason}`);
  run.state.recontactAt = run.now + durationMs(run.model.qualification.recontactAfter[reason]);
  recontactIfDue(run);
}

/**
 * The CRM closes the loop: an opportunity or a customer leaves nurture for good (the funnel reads
 * the path lead → mql → sql → opportunity → customer); a lost deal is recycled with its reason's delay.
 */
export function applyCrmOutcome(run: Run, outcome: CrmOutcome, reason: RecycleReason | undefined): Reply {
  const s = run.state;
  if (outcome === 'closed_lost') {
    if (s.stage === 'customer') return { accepted: false, reason: 'the lead is a customer' };
    recycle(run, reason ?? 'other', 'crm');
    return { accepted: true };
  }
  const stage = outcome === 'closed_won' ? 'customer' : 'opportunity';
  if (s.stage === 'customer' || s.stage === stage) return { accepted: false, reason: `the lead is already ${s.stage === 'customer' ? 'a customer' : 'an opportunity'}` };
  run.changeStage(stage, outcome === 'closed_won' ? 'crm: closed won' : 'crm: opportunity created');
  run.exitSequence(`handed to sales: ${stage}`);
  s.recontactAt = undefined;
  return { accepted: true };
}

/** A recycled lead whose rest is over goes back to the long-term pool. */
export function recontactIfDue(run: Run): void {
  const s = run.state;
  if (s.recontactAt !== undefined && run.now >= s.recontactAt) {
    s.recontactAt = undefined;
    if (!s.sequence && NURTURE_STAGES.includes(s.stage)) run.enroll(run.catalog.longTermSequence, 'recontact after recycling');
  }
}
