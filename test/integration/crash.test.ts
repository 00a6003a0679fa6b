// Exactly-once email under crashes: the production delivery worker runs in a child process that the
// test SIGKILLs at a chosen point of a send, a fresh one takes the retried activity, and what counts
// is what the real SMTP server received.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import type { Touch } from '../../core/protocol';
import type { Lead } from '../../core/model/lead';
import { deliverEmail } from '../support/workflows/deliverEmail';
import { touchesOf } from '../support/channelTouches';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { eventually } from '../support/harness';
import { saveLead } from '../../db/repositories/leads';

// A namespace of its own: other files run fake delivery workers on the same send queues.
const namespace = `crash-${randomUUID()}`;
const taskQueue = 'crash-workflows';
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let workflowWorker: Worker;
let workflowWorkerRun: Promise<void>;
let pool: Pool;
let sink: SmtpSink;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  client = new Client({ connection, namespace });
  // A new namespace reaches every part of the server a moment after it is registered.
  await eventually(() => client.workflow.count().then(() => true));
  nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  workflowWorker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('../support/workflows/deliverEmail'),
  });
  workflowWorkerRun = workflowWorker.run();
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
  sink = await startSmtpSink();
});

afterAll(async () => {
  if (workflowWorker?.getState() === 'RUNNING') workflowWorker.shutdown();
  await workflowWorkerRun;
  await nativeConnection?.close();
  await connection?.close();
  await sink?.close();
  await pool?.end();
});

/** A delivery worker process; `crashed` rejects if it exits when the test did not stop it. */
interface WorkerProcess {
  crashed: Promise<never>;
  /** SIGKILL: no shutdown, no finally, no ledger mark. Resolves once the process is gone. */
  kill(): Promise<void>;
}

const processes: ChildProcess[] = [];

function startDeliveryWorker(): WorkerProcess {
  const child = fork(require.resolve('../support/deliveryWorkerProcess'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      TEMPORAL_NAMESPACE: namespace,
      SMTP_URL: sink.url,
      EMAIL_FROM: 'Sam Lee <sam@relay.example>',
      NURTURE_LINK_SECRET: 'crash-test-link-secret',
      NURTURE_SENDER_ADDRESS: '1 Main St, Springfield',
    },
  });
  processes.push(child);
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const crashed = exited.then(() => {
    if (!stopping) throw new Error(`the delivery worker exited by itself (code ${child.exitCode})`);
    return new Promise<never>(() => undefined);
  });
  crashed.catch(() => undefined);
  return {
    crashed,
    async kill() {
      stopping = true;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

afterEach(async () => {
  sink.hooks.onMailFrom = undefined;
  sink.hooks.onMessage = undefined;
  sink.received.length = 0;
  // Gracefully: a worker shut down this way lets go of its pollers at once.
  const running = processes.splice(0).filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
});

function newTouch(): { lead: Lead; touch: Touch } {
  const lead: Lead = { id: `lead-${randomUUID()}`, email: 'ada@northwind.example', firstName: 'Ada' };
  return { lead, touch: touchesOf(lead, 'fast-track', 1)[0]! };
}

/** Starts the delivery of the touch, `times` times; the activity reads the lead from PostgreSQL, where it is saved first. */
async function deliver({ lead, touch }: { lead: Lead; touch: Touch }, times = 1): Promise<WorkflowHandle<typeof deliverEmail>> {
  await saveLead(pool, lead);
  return client.workflow.start(deliverEmail, { taskQueue, workflowId: `deliver-${randomUUID()}`, args: [{ workflowId: `lead-${lead.id}`, touch }, times] });
}

async function ledgerRow(touch: Touch): Promise<{ status: string; provider_id: string | null }> {
  const { rows } = await pool.query('SELECT status, provider_id FROM sends WHERE idempotency_key = $1', [touch.idempotencyKey]);
  return rows[0];
}

/** Resolves once `hook` has run for the first time: it kills the worker at that point of the send. */
function killAt(hook: keyof SmtpSink['hooks'], worker: WorkerProcess): Promise<void> {
  return new Promise((resolve) => {
    sink.hooks[hook] = async () => {
      sink.hooks[hook] = undefined;
      await worker.kill();
      resolve();
    };
  });
}

describe('email delivery under crashes', () => {
  it('sends once when the worker is killed after claiming the send, before the SMTP server accepted anything', async () => {
    const send = newTouch();
    const first = startDeliveryWorker();
    const killed = killAt('onMailFrom', first);
    const handle = await deliver(send);
    await Promise.race([killed, first.crashed]);
    expect(await ledgerRow(send.touch)).toMatchObject({ status: 'claimed' });
    expect(sink.received).toHaveLength(0);

    // The attempt times out on the server and is retried on a fresh worker, which owns the claim.
    const second = startDeliveryWorker();
    const [result] = await Promise.race([handle.result(), second.crashed]);
    expect(result).toEqual({ status: 'sent', providerId: expect.any(String) });
    const mails = await sink.messages();
    expect(mails.map((mail) => mail.messageId)).toEqual([(result as { providerId: string }).providerId]);
    expect(mails[0]!.to).toMatchObject({ value: [{ address: 'ada@northwind.example' }] });
    expect(await ledgerRow(send.touch)).toMatchObject({ status: 'sent' });
  });

  it('sends twice, with the same Message-ID, when the worker is killed after the SMTP server accepted the message and before the ledger was marked (a remaining window)', async () => {
    const send = newTouch();
    const first = startDeliveryWorker();
    const killed = killAt('onMessage', first);
    const handle = await deliver(send);
    await Promise.race([killed, first.crashed]);
    expect(await ledgerRow(send.touch)).toMatchObject({ status: 'claimed' });
    expect(sink.received).toHaveLength(1);

    const second = startDeliveryWorker();
    const [result] = await Promise.race([handle.result(), second.crashed]);
    expect(result).toEqual({ status: 'sent', providerId: expect.any(String) });
    const [firstMail, secondMail, ...more] = await sink.messages();
    expect(more).toHaveLength(0);
    // The same Message-ID both times: a mail system, or the recipient's client, can tell the copy.
    expect(secondMail!.messageId).toBe(firstMail!.messageId);
    expect(secondMail!.messageId).toBe((result as { providerId: string }).providerId);
    expect(secondMail!.text).toBe(firstMail!.text);
    expect(await ledgerRow(send.touch)).toMatchObject({ status: 'sent' });
  });

  it('sends twice, with the same Message-ID, when a stalled attempt outlives its start-to-close timeout and both it and its retry reach the SMTP server (a second remaining window)', async () => {
    const send = newTouch();
    const worker = startDeliveryWorker();
    // The first MAIL FROM is held until the retry's arrives: the retry found the row still claimed.
    let releaseFirst: () => void = () => undefined;
    sink.hooks.onMailFrom = () => {
      sink.hooks.onMailFrom = () => {
        sink.hooks.onMailFrom = undefined;
        releaseFirst();
      };
      return new Promise<void>((resolve) => (releaseFirst = resolve));
    };
    const bothAccepted = new Promise<void>((resolve) => {
      sink.hooks.onMessage = () => {
        if (sink.received.length === 2) resolve();
      };
    });
    const handle = await deliver(send);
    const [[result]] = await Promise.race([Promise.all([handle.result(), bothAccepted]), worker.crashed]);
    expect(result).toEqual({ status: 'sent', providerId: expect.any(String) });
    const mails = await sink.messages();
    expect(mails.map((mail) => mail.messageId)).toEqual([(result as { providerId: string }).providerId, (result as { providerId: string }).providerId]);
  });

  it('sends once when the same touch is delivered twice, as a duplicated command would', async () => {
    const send = newTouch();
    const worker = startDeliveryWorker();
    const handle = await deliver(send, 2);
    const results = await Promise.race([handle.result(), worker.crashed]);
    expect(results).toEqual([{ status: 'sent', providerId: expect.any(String) }, { status: 'duplicate' }]);
    expect(sink.received).toHaveLength(1);
  });
});
