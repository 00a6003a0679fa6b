// Sequences: goals and exit rules checked on every input, a sequence run forward through every
// step that is due (waits stretched by the lead's cadence, conditions, branches, handoffs, touches),
// then the next sequence or the long-term pool; enrolment and exit on request.
import { afterSilence, gapMs } from '../model/cadence';
import { evaluate } from '../model/conditions';
import { durationMs } from '../model/duration';
import { assignVariant, experimentId } from '../model/experiments';
import { isTouchStep, stepIndex, type SequenceDefinition, type Step } from '../model/sequence';
import { NURTURE_STAGES } from '../model/stages';
import { mergeCadence } from '../model/tuning';
import type { Reply } from '../protocol';
import { startHandoff } from './qualification';
import { lastEngagedAt, type Run } from './run';
import { runTouch } from './touch';

/** Goals and exit rules hold at once, not at the next step boundary. */
export function checkExits(run: Run): void {
  const s = run.state;
  if (!s.sequence) return;
  if (!NURTURE_STAGES.includes(s.stage)) {
    run.exitSequence(`stage ${s.stage}`);
    return;
  }
  const definition = run.definition();
  const context = run.conditionContext();
  const goal = definition?.exitWhen.findIndex((condition) => evaluate(condition, context)) ?? -1;
  if (goal >= 0) run.exitSequence(`goal: exitWhen[${goal}]`);
}

/** Runs the current sequence forward through every step that is due now. */
export function advance(run: Run): void {
  const s = run.state;
  s.cadence = afterSilence(s.cadence, lastEngagedAt(s), run.now, run.model.cadence);
  if (s.cadence.tier === 'dormant' && s.sequence && s.sequence.id !== run.catalog.longTermSequence) {
    run.exitSequence('dormant: moved to the long-term pool');
    run.enroll(run.catalog.longTermSequence, 'dormant', true);
  }
  // Bounded: a sequence is finite and every iteration moves forward or stops.
  for (let guard = 0; guard < 1000; guard++) {
    const position = s.sequence;
    if (!position || s.paused || s.handoffs.open) return;
    const definition = run.definition();
    if (!definition) {
      run.exitSequence('sequence version unavailable');
      return;
    }
    const current = definition.steps[position.stepIndex];
    if (!current) {
      completeSequence(run, definition);
      continue;
    }
    if (!runStep(run, current, definition)) return;
  }
}

/**
 * A lead whose sequence has a newer version than the one it runs moves onto it as the new version
 * declares (`migration`): `pin` (the default) finishes on its own version; `next-step` goes on at
 * the same step in the new version (a wait keeps its end), else at the nearest later step the new
 * version keeps, else at its end; `restart` starts the new version over. Recorded as leaving the
 * old version and entering the new.
 */
export function migrateToLatest(run: Run): void {
  const position = run.state.sequence;
  const latest = position && run.catalog.latest[position.id];
  if (!position || !latest || latest === position.version) return;
  const next = run.catalog.versions[latest];
  const current = run.catalog.versions[position.version];
  const policy = next?.migration ?? 'pin';
  if (!next || !current || policy === 'pin') return;
  const stepId = current.steps[position.stepIndex]?.id;
  const sameStep = policy === 'next-step' && stepId !== undefined ? stepIndex(next, stepId) : -1;
  const target = policy === 'restart' ? 0 : sameStep >= 0 ? sameStep : laterStepKept(current, next, position.stepIndex);
  run.commands.push({ type: 'exitSequence', sequenceId: position.id, version: position.version, reason: `migrated to ${latest} (${policy})`, at: run.now });
  run.state.sequence = sameStep >= 0 ? { ...position, version: latest, stepIndex: target } : { ...position, version: latest, stepIndex: target, stepEnteredAt: run.now, dueAt: undefined, ...(policy === 'restart' ? { enrolledAt: run.now } : {}) };
  run.commands.push({ type: 'enterSequence', sequenceId: position.id, version: latest, reason: `migrated from ${position.version} (${policy}) at ${next.steps[target]?.id ?? 'its end'}`, at: run.now });
}

/** The first step after `index` in `current` that `next` keeps, as its index there; `next`'s end when none is. */
function laterStepKept(current: SequenceDefinition, next: SequenceDefinition, index: number): number {
  for (const step of current.steps.slice(index + 1)) {
    const kept = stepIndex(next, step.id);
    if (kept >= 0) return kept;
  }
  return next.steps.length;
}

export function requestEnrolment(run: Run, sequenceId: string): Reply {
  const s = run.state;
  if (!run.catalog.latest[sequenceId]) return { accepted: false, reason: `unknown sequence ${JSON.stringify(sequenceId)}` };
  if (!NURTURE_STAGES.includes(s.stage)) return { accepted: false, reason: `the lead is ${s.stage}, not in nurture` };
  if (s.handoffs.open) return { accepted: false, reason: `sales handoff ${s.handoffs.open.id} is open` };
  run.exitSequence(`enrolled in ${sequenceId}`);
  s.recontactAt = undefined;
  run.enroll(sequenceId, 'enrolled on request');
  return { accepted: true };
}

export function requestExit(run: Run, reason: string): Reply {
  const reply: Reply = run.state.sequence ? { accepted: true } : { accepted: false, reason: 'the lead is in no sequence' };
  run.exitSequence(`manual: ${reason}`);
  return reply;
}

/** Runs one step; true when the sequence moved on and the next step may run now too. */
function runStep(run: Run, current: Step, definition: SequenceDefinition): boolean {
  const s = run.state;
  const position = s.sequence!;
  if (isTouchStep(current)) {
    if (position.dueAt !== undefined && run.now < position.dueAt) return false;
    return runTouch(run, current, definition) && run.goToStep(position.stepIndex + 1);
  }
  switch (current.kind) {
    case 'wait':
      position.dueAt ??= position.stepEnteredAt + gapMs(durationMs(waitDuration(run, current, definition)), s.cadence, s.optedDown, mergeCadence(run.model.cadence, definition.cadence));
      if (run.now < position.dueAt) return false;
      return run.goToStep(position.stepIndex + 1);
    case 'waitFor': {
      if (evaluate(current.until, run.conditionContext())) return run.goToStep(position.stepIndex + 1);
      position.dueAt = position.stepEnteredAt + durationMs(current.timeout);
      if (run.now < position.dueAt) return false;
      return run.goToStep(current.onTimeout ? stepIndex(definition, current.onTimeout) : position.stepIndex + 1);
    }
    case 'branch': {
      const target = evaluate(current.if, run.conditionContext()) ? current.then : current.else;
      return run.goToStep(target ? stepIndex(definition, target) : position.stepIndex + 1);
    }
    case 'handoff':
      if (!s.handoffs.open && s.stage !== 'disqualified') startHandoff(run, `sequence ${definition.id} step ${current.id}`);
      return run.goToStep(position.stepIndex + 1);
    case 'exit':
      // Leaving early is finishing without the rest: the lead goes on to the long-term pool.
      run.exitSequence(`exit step ${current.id}: ${current.reason}`);
      if (definition.id !== run.catalog.longTermSequence) run.enroll(run.catalog.longTermSequence, `after ${definition.id}`, true);
      return false;
  }
}

/** How long a wait lasts before the cadence stretches it: since channel-and-wait-variants, the lead's variant's, its exposure recorded as it starts. */
function waitDuration(run: Run, current: Extract<Step, { kind: 'wait' }>, definition: SequenceDefinition): string {
  if (!run.rules.channelAndWaitVariants || !current.variants) return current.duration;
  const experiment = experimentId(definition.id, current.id);
  const variant = assignVariant(experiment, run.state.leadId, current.variants);
  run.commands.push({ type: 'exposed', sequenceId: definition.id, version: run.state.sequence!.version, stepId: current.id, experiment: { id: experiment, variant: variant.id }, at: run.now });
  return variant.duration ?? current.duration;
}

function completeSequence(run: Run, definition: SequenceDefinition): void {
  run.exitSequence('completed');
  // The long-term sequence loops on itself; a lead that finishes it starts it again.
  run.enroll(definition.then ?? run.catalog.longTermSequence, `after ${definition.id}`, true);
}
