import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sleeper } from '../support/workflows/sleeper';

let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
});

describe('Temporal dev server', () => {
  it('runs a workflow and lists it through the server visibility API', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const workflowId = `sleeper-${randomUUID()}`;
    const workerConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        taskQueue,
        workflowsPath: require.resolve('../support/workflows/sleeper'),
      });
      const elapsed = await worker.runUntil(client.workflow.execute(sleeper, { args: [0], taskQueue, workflowId }));
      expect(elapsed).toBeGreaterThanOrEqual(0);
    } finally {
      await workerConnection.close();
    }
    // Visibility is eventually consistent: poll briefly until the server lists the closed run.
    const listed = await eventually(async () => {
      const found = [];
      for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(info);
      return found.length ? found : undefined;
    });
    expect(listed).toEqual([expect.objectContaining({ workflowId, type: 'sleeper', status: expect.objectContaining({ name: 'COMPLETED' }) })]);
  });
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
