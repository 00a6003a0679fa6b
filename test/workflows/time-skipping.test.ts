import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startTimeSkippingServer } from '../../devstack/temporal';
import { sleeper } from '../support/workflows/sleeper';

const DAY_MS = 24 * 60 * 60 * 1000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

describe('time-skipping test server', () => {
  it('completes a workflow that sleeps 30 days within seconds of wall time', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../support/workflows/sleeper'),
    });
    const wallStart = Date.now();
    const workflowElapsed = await worker.runUntil(
      env.client.workflow.execute(sleeper, { args: [30], taskQueue, workflowId: `sleeper-${randomUUID()}` }),
    );
    expect(workflowElapsed).toBeGreaterThanOrEqual(30 * DAY_MS);
    // Thirty days of workflow time passed in less than a minute of ours: the server skipped time.
    expect(Date.now() - wallStart).toBeLessThan(60_000);
  });
});
