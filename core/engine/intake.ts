// Event intake: an event is folded once (its id is remembered, so a repeat is counted and dropped)
// into the aggregates, the recent lists, the intent score (clicks damped against bots) and consent;
// goals among events (a reply, a meeting booked) end the sequence, and intent re-accelerates the
// cadence and pulls the next touch forward.
import { afterIntent } from '../model/cadence';
import { durationMs } from '../model/duration';
import { eventKey, isIntentSignal, type LeadEvent } from '../model/events';
import { fingerprint } from '../model/hash';
import { addIntent, dampClick } from '../model/scoring';
import { NURTURE_STAGES } from '../model/stages';
import { setConsent } from './consent';
import type { Run } from './run';
import { eventTime, LIMITS, pushBounded } from './state';

/** Folds an event into the lead's state; false for a duplicate. */
export function recordEvent(run: Run, event: LeadEvent): boolean {
  const s = run.state;
  const id = fingerprint(event.eventId);
  if (s.recentEventIds.includes(id)) {
    s.counters.duplicates++;
    return false;
  }
  s.recentEventIds = pushBounded(s.recentEventIds, id, LIMITS.recentEventIds);
  s.counters.events++;
  const at = eventTime(event, run.now);
  const key = eventKey(event);
  const seen = s.aggregates[key];
  s.aggregates[key] = { count: (seen?.count ?? 0) + 1, lastAt: Math.max(seen?.lastAt ?? at, at) };
  s.recent.path = pushBounded(s.recent.path, { key, at }, LIMITS.path);
  if (event.type === 'page_view') {
    s.recent.pages = pushBounded(s.recent.pages, { url: event.properties.url, category: event.properties.category, at }, LIMITS.pages);
  } else if (event.type === 'content_download') {
    s.recent.downloads = pushBounded(s.recent.downloads, { assetId: event.properties.assetId, kind: event.properties.kind, at }, LIMITS.downloads);
  }

  let counts = true;
  if (event.type === 'email_click') {
    const damped = dampClick(s.clicks, at, s.lastEmailSentAt, run.model.scoring);
    s.clicks = damped.clicks;
    counts = damped.counts;
  }
  const points = run.model.scoring.intentWeights[key];
  if (counts && points) s.intent = addIntent(s.intent, key, points, at, run.model.scoring);

  switch (event.type) {
    case 'unsubscribe':
      if (event.properties.channel === 'all') {
        for (const channel of ['email', 'sms', 'in_app'] as const) setConsent(run, channel, false, 'unsubscribe', at);
        run.changeStage('unsubscribed', 'unsubscribed from all channels');
      } else {
        setConsent(run, event.properties.channel, false, 'unsubscribe', at);
      }
      break;
    case 'opt_down':
      s.optedDown = true;
      break;
    case 'email_bounce':
      if (event.properties.hard) setConsent(run, 'email', false, 'hard_bounce', at);
      break;
    case 'email_reply':
      run.exitSequence('goal: replied');
      break;
    case 'meeting_booked':
      if (NURTURE_STAGES.includes(s.stage)) run.changeStage('sql', 'meeting booked');
      run.exitSequence('goal: meeting booked');
      break;
  }
  if (counts && isIntentSignal(key)) onIntent(run, at);
  return true;
}

/** Intent re-accelerates: back to the active tier, the next touch pulled forward. */
function onIntent(run: Run, at: number): void {
  const s = run.state;
  s.lastIntentAt = Math.max(s.lastIntentAt ?? at, at);
  s.cadence = afterIntent(s.cadence);
  const position = s.sequence;
  if (!position) return;
  if (position.id === run.catalog.longTermSequence && !s.recontactAt) {
    // Interest is back: leave the long-term pool for the sequence this lead would get today.
    const next = run.route();
    if (next !== run.catalog.longTermSequence) {
      run.exitSequence('re-engaged');
      run.enroll(next, 're-engaged');
      return;
    }
  }
  // Only a signal after our last touch is new interest; the one that started the lead is not.
  if (s.cadence.lastTouchAt !== undefined && at <= s.cadence.lastTouchAt) return;
  const current = run.currentStep();
  const pullTo = run.now + durationMs(run.model.cadence.reengageWithin);
  if (current?.kind === 'wait' && position.dueAt !== undefined && position.dueAt > pullTo) position.dueAt = pullTo;
}
