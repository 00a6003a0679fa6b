// Runs the real lead and handoff workflows on a time-skipping server, with the activities at their
// boundary: the catalog is the real default library, and what would be written or sent is recorded.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DeliveryActivities, DeliveryResult, HandoffActivities, LeadActivities } from '../../activities/types';
import { sendTaskQueue } from '../../activities/types';
import type { Catalog, Command, Touch } from '../../core/protocol';
import { CHANNELS } from '../../core/model/events';
import { startTimeSkippingServer } from '../../devstack/temporal';
import { bundleLeadWorkflows } from '../../workers/bundle';
import { defaultCatalog } from '../../sequences/library';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { catalogFingerprint } from '../../core/catalogDiff';
import { handoffTaskQueue, leadWorkflowId, stateQuery, taskQuery, type HandoffTaskView, type LeadView, type LeadWorkflowInput } from '../../workflows/contract';
import { leadWorkflow } from '../../workflows/lead';
import { arrivalOf, type Lead } from '../../core/model/lead';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file. */
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleLeadWorkflows();
  return bundle;
}

interface Recorder {
  touches: Touch[];
  decisions: Command[];
  handoffCalls: { name: string; args: unknown }[];
}

export interface HarnessOptions {
  catalog: Catalog;
  /** Decides the outcome of each delivery; every touch is sent by default. */
  deliver?: (touch: Touch) => DeliveryResult;
  /** Delivers for real (e.g. to an SMTP sink and a Twilio server on loopback) instead of recording. */
  delivery?: DeliveryActivities;
  reps?: string[];
  /** Runs the lead queue and the handoff queue beside it with these worker options (e.g. production's) instead of recording activities. */
  leadWorker?: (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) => WorkerOptions[];
}

/** Starts one worker per task queue (the lead queue and each channel's send queue) and runs `body`. */
export interface HarnessContext {
  taskQueue: string;
  recorder: Recorder;
  /** Starts a lead workflow as the API does (its traits, not its identifiers); it is terminated when the test ends, pass or fail. */
  startLead(input: Omit<LeadWorkflowInput, 'lead'> & { lead: Lead }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof leadWorkflow>>;
}

/**
 * Starts one worker per task queue (the lead queue and each channel's send queue) and runs `body`.
 * Workflows the body starts are terminated at the end: one left waiting for a worker that is gone
 * would hold the test server's clock for every later test.
 */
export async function withWorkers<T>(
  server: Pick<TestWorkflowEnvironment, 'client' | 'nativeConnection'>,
  options: HarnessOptions,
  body: (ctx: HarnessContext) => Promise<T>,
): Promise<T> {
  const recorder: Recorder = { touches: [], decisions: [], handoffCalls: [] };
  const taskQueue = `leads-${randomUUID()}`;
  const reps = options.reps ?? ['rep-ana', 'rep-ben', 'rep-cy'];
  let nextRep = 0;
  // Every handoff a rep was sought for, opened or not yet: the harness ends them with the test.
  const handoffIds = new Set<string>();
  const lead: LeadActivities = {
    // Read at each call: a test may hand the workers a new catalog, as a restart on new code does.
    loadCatalog: async () => ({ ...options.catalog, version: catalogFingerprint(options.catalog) }),
    catalogVersion: async () => catalogFingerprint(options.catalog),
    recordDecisions: async ({ decisions }) => void recorder.decisions.push(...decisions),
  };
  const handoff: HandoffActivities = {
    assignRep: async ({ handoffId, exclude, round, reassign }) => {
      handoffIds.add(handoffId);
      // A rep named by a manager must be one of the reps, as the real activity checks the reps table.
      if (reassign?.to && !reps.includes(reassign.to)) throw ApplicationFailure.nonRetryable(`to: there is no rep ${reassign.to}`, 'UnknownRep');
      const candidates = reps.filter((rep) => !exclude.includes(rep));
      const owner = reassign?.to ?? candidates[nextRep++ % Math.max(candidates.length, 1)];
      recorder.handoffCalls.push({ name: 'assignRep', args: { exclude, owner, ...(round === undefined ? {} : { round }), ...(reassign ? { reassign } : {}) } });
      return { owner };
    },
    openHandoffTask: async (args) => void recorder.handoffCalls.push({ name: 'openHandoffTask', args }),
    notifyRep: async (args) => void recorder.handoffCalls.push({ name: 'notifyRep', args }),
    reassignHandoffTask: async (args) => void recorder.handoffCalls.push({ name: 'reassignHandoffTask', args }),
    moveHandoffTask: async (args) => void recorder.handoffCalls.push({ name: 'moveHandoffTask', args }),
    closeHandoffTask: async (args) => void recorder.handoffCalls.push({ name: 'closeHandoffTask', args }),
  };
  const delivery: DeliveryActivities = options.delivery ?? {
    deliverTouch: async ({ touch }) => {
      const result = options.deliver?.(touch) ?? { status: 'sent' as const };
      if (result.status === 'sent') recorder.touches.push(touch);
      return result;
    },
  };
  const workflowBundleCode = await workflowBundle();
  const workers = await Promise.all([
    ...(
      options.leadWorker?.(taskQueue, workflowBundleCode) ?? [
        { connection: server.nativeConnection, taskQueue, workflowBundle: workflowBundleCode, activities: { ...lead, ...handoff } },
        { connection: server.nativeConnection, taskQueue: handoffTaskQueue(taskQueue), workflowBundle: workflowBundleCode, activities: handoff },
      ]
    ).map((workerOptions) => Worker.create(workerOptions)),
    // Each channel's sends run on a queue of their own, as in production.
    ...CHANNELS.map((channel) => Worker.create({ connection: server.nativeConnection, taskQueue: sendTaskQueue(channel), activities: delivery })),
  ]);
  const started: WorkflowHandle[] = [];
  const startLead = async (input: Omit<LeadWorkflowInput, 'lead'> & { lead: Lead }) => {
    const handle = await server.client.workflow.start(leadWorkflow, { taskQueue, workflowId: leadWorkflowId(input.lead.id), args: [{ ...input, lead: arrivalOf(input.lead) }] });
    started.push(handle);
    return handle;
  };
  const run = async () => {
    try {
      return await body({ taskQueue, recorder, startLead });
    } finally {
      // Handoff children too: they outlive their lead by design (parent-close policy ABANDON).
      const children = [...handoffIds].map((id) => server.client.workflow.getHandle(id));
      await Promise.allSettled([...started, ...children].map((handle) => handle.terminate('test over')));
    }
  };
  const [first, ...rest] = workers;
  return rest.reduce((promise, worker) => worker.runUntil(promise), first!.runUntil(run()));
}

/**
 * The lead's state once its run answers queries and, if given, `settled` holds: a signal is folded
 * in by a workflow task of its own, which a query may overtake.
 */
export function leadState(handle: WorkflowHandle<typeof leadWorkflow>, settled: (view: LeadView) => boolean = () => true): Promise<LeadView> {
  return eventually(async () => {
    try {
      const view = await handle.query(stateQuery);
      return settled(view) ? view : undefined;
    } catch (err) {
      if (String((err as Error).cause ?? err).includes('still starting')) return undefined;
      throw err;
    }
  });
}

/** Polls `probe` until it returns a value (not undefined, no error), for state that settles asynchronously. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never settled within ${timeoutMs} ms: ${String(lastError ?? 'no value')}`);
}

/**
 * The catalog workflow tests run on: the default library, no holdout, and email at any hour, so a
 * timeline is the same whatever weekday and hour the test server's clock starts at (send windows
 * have unit tests of their own).
 */
export const anyHourCatalog = (): Catalog => defaultCatalog({ holdoutPercent: 0, cadence: { windows: { email: '00:00-24:00,mon-sun' } } });

/**
 * A time-skipping server for the calling test file, with the lead search attributes registered;
 * skipped time is global to a server, so files do not share one.
 */
export function useTimeSkippingServer(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await startTimeSkippingServer(LEAD_SEARCH_ATTRIBUTES);
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return () => {
    if (!env) throw new Error('the time-skipping server is not started yet');
    return env;
  };
}

/** The handoff task once the child workflow has assigned a rep and waits for a decision. */
export function assignedTask(client: Client, handoffId: string): Promise<HandoffTaskView> {
  return eventually(async () => {
    const task = await client.workflow.getHandle(handoffId).query(taskQuery);
    return task.owner ? task : undefined;
  });
}

/** A history as text, its payloads (base64 in the history's JSON form) decoded: to look for what it must not hold. */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => (key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value));
}
