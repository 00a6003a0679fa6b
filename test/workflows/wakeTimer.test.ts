import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startTimeSkippingServer } from '../../devstack/temporal';
import { deadlineSignal, wakeTimerWorkflow } from '../support/workflows/wakeTimer';

const HOUR_MS = 60 * 60 * 1000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs the timer workflow with the deadlines signalled after its start; when it fired, and its timer events. */
async function run(firstDeadlineMs: number, laterDeadlines: (number | null)[]) {
  const taskQueue = `wake-timer-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../support/workflows/wakeTimer') });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(wakeTimerWorkflow, { args: [firstDeadlineMs], taskQueue, workflowId: `wake-timer-${randomUUID()}` });
    for (const [index, deadline] of laterDeadlines.entries()) {
      // Each deadline arrives after the workflow acted on the one before, as a lead's inputs do.
      await workflowTasksCompleted(handle, index + 1);
      await handle.signal(deadlineSignal, deadline);
    }
    // Fired at the deadline (hours away), give or take the seconds a workflow task takes on a loaded machine.
    const firedAfter = Math.round((await handle.result()) / 60_000) * 60_000;
    const events = (await handle.fetchHistory()).events ?? [];
    const count = (attributes: 'timerStartedEventAttributes' | 'timerCanceledEventAttributes') => events.filter((event) => event[attributes]).length;
    return { firedAfter, started: count('timerStartedEventAttributes'), canceled: count('timerCanceledEventAttributes') };
  });
}

async function workflowTasksCompleted(handle: { fetchHistory(): Promise<{ events?: { workflowTaskCompletedEventAttributes?: unknown }[] | null }> }, count: number): Promise<void> {
  for (;;) {
    const { events } = await handle.fetchHistory();
    if ((events ?? []).filter((event) => event.workflowTaskCompletedEventAttributes).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the wake timer', () => {
  it('keeps the running timer while the deadline stays: no cancel, no second timer', async () => {
    expect(await run(2 * HOUR_MS, [2 * HOUR_MS, 2 * HOUR_MS])).toEqual({ firedAfter: 2 * HOUR_MS, started: 1, canceled: 0 });
  });

  it('replaces the timer when the deadline moves, and fires at the new one', async () => {
    expect(await run(2 * HOUR_MS, [5 * HOUR_MS])).toEqual({ firedAfter: 5 * HOUR_MS, started: 2, canceled: 1 });
    expect(await run(5 * HOUR_MS, [HOUR_MS])).toEqual({ firedAfter: HOUR_MS, started: 2, canceled: 1 });
  });

  it('stops when the deadline goes away, and starts again when one is set', async () => {
    expect(await run(2 * HOUR_MS, [null, 3 * HOUR_MS])).toEqual({ firedAfter: 3 * HOUR_MS, started: 2, canceled: 1 });
  });
});
