// A workflow for the wake timer's own test: sets the timer to the deadline each `deadline` signal
// names (ms after the start), and returns how much workflow time passed once it fired.
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import { WakeTimer } from '../../../workflows/wakeTimer';

export const deadlineSignal = defineSignal<[number | null]>('deadline');
export const firedQuery = defineQuery<boolean>('fired');

export async function wakeTimerWorkflow(firstDeadlineMs: number): Promise<number> {
  const startedAt = Date.now();
  const timer = new WakeTimer();
  let deadline: number | undefined = startedAt + firstDeadlineMs;
  let changed = true;
  setHandler(deadlineSignal, (afterStart) => {
    deadline = afterStart === null ? undefined : startedAt + afterStart;
    changed = true;
  });
  setHandler(firedQuery, () => timer.fired);
  while (!timer.fired) {
    if (changed) timer.set(deadline);
    changed = false;
    await condition(() => changed || timer.fired);
  }
  return Date.now() - startedAt;
}
