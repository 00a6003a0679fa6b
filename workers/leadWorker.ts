// The worker that runs lead and sales-handoff workflows with their PostgreSQL activities. Its
// options are a function of its dependencies, so tests run exactly what production runs.
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createHandoffActivities } from '../activities/handoffs';
import { createLeadActivities } from '../activities/store';
import type { Catalog } from '../core/engine';
import { LEAD_TASK_QUEUE } from '../workflows/contract';

export interface LeadWorkerDependencies {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  pool: Pool;
  catalog: Catalog;
  /** A prebuilt bundle (production, tests); the workflows are bundled at start otherwise. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Idle leads beyond this many are evicted from memory and replayed when they wake. */
  maxCachedWorkflows?: number;
}

export function leadWorkerOptions(deps: LeadWorkerDependencies): WorkerOptions {
  return {
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: deps.taskQueue ?? LEAD_TASK_QUEUE,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: { ...createLeadActivities({ pool: deps.pool, catalog: deps.catalog }), ...createHandoffActivities({ pool: deps.pool }) },
    maxCachedWorkflows: deps.maxCachedWorkflows ?? 1_000,
  };
}
