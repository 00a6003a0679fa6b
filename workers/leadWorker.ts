// The workers that run lead and sales-handoff workflows with their PostgreSQL activities. Their
// options are a function of their dependencies, so tests run exactly what production runs.
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createHandoffActivities } from '../activities/handoff';
import { createLeadActivities } from '../activities/lead';
import type { AlertSettings } from '../channels/salesAlerts';
import type { Catalog } from '../core/protocol';
import { handoffTaskQueue, LEAD_TASK_QUEUE } from '../workflows/contract';
import { correlationActivityInterceptors } from './correlation';

export interface LeadWorkerDependencies {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  pool: Pool;
  catalog: Catalog;
  /** The catalog as the A/B tests' promotion rules change it (app/liveCatalog); `catalog` when absent. */
  liveCatalog?: () => Catalog;
  /** The workflow bundle both workers run (workers/bundle: prebuilt, or bundled once at start). */
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  /** Leads kept in memory (NURTURE_WORKFLOW_CACHE); one beyond them replays its history when it next wakes or hears from outside. */
  maxCachedWorkflows?: number;
  /** Email alerts to sales (the delivery configuration's SMTP and link secret); recorded only without. */
  alerts?: AlertSettings;
}

/**
 * The engine's workflow workers: one on the lead queue (leads, and the handoffs started there before
 * patch `handoff-queue`), one on the handoff queue beside it, each with its own slots and cache, so
 * handoffs never wait behind leads' events.
 */
export function engineWorkerOptions(deps: LeadWorkerDependencies): [WorkerOptions, WorkerOptions] {
  const taskQueue = deps.taskQueue ?? LEAD_TASK_QUEUE;
  const handoffActivities = createHandoffActivities({ pool: deps.pool, freeMailDomains: deps.catalog.model.scoring.icp.freeMailDomains, alerts: deps.alerts });
  const common = {
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    // The bundle has the workflow interceptors in it (workers/bundle).
    workflowBundle: deps.workflowBundle,
    interceptors: { activity: [correlationActivityInterceptors] },
  };
  return [
    {
      ...common,
      taskQueue,
      activities: { ...createLeadActivities({ pool: deps.pool, catalog: deps.liveCatalog ?? (() => deps.catalog) }), ...handoffActivities },
      ...(deps.maxCachedWorkflows ? { maxCachedWorkflows: deps.maxCachedWorkflows } : {}),
    },
    // Open handoffs are few next to leads, and each waits days at most.
    { ...common, taskQueue: handoffTaskQueue(taskQueue), activities: handoffActivities, maxCachedWorkflows: 1000 },
  ];
}
