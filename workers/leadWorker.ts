// The worker that runs lead and sales-handoff workflows with their PostgreSQL activities. Its
// options are a function of its dependencies, so tests run exactly what production runs.
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createHandoffActivities } from '../activities/handoff';
import { createLeadActivities } from '../activities/lead';
import type { AlertSettings } from '../channels/salesAlerts';
import type { Catalog } from '../core/protocol';
import { LEAD_TASK_QUEUE } from '../workflows/contract';
import { SHARED_WORKFLOW_MODULES, WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from './bundle';
import { correlationActivityInterceptors } from './correlation';

export interface LeadWorkerDependencies {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  pool: Pool;
  catalog: Catalog;
  /** A prebuilt bundle (production, tests); the workflows are bundled at start otherwise. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Idle leads beyond this many are evicted from memory and replayed from their history when they
   * next wake or hear from outside (tens of milliseconds each). Since core is shared across
   * workflows, a cached lead weighs ~0.14 MB (bench/workflows), so memory allows far more.
   */
  maxCachedWorkflows?: number;
  /** Email alerts to sales (the delivery configuration's SMTP and link secret); recorded only without. */
  alerts?: AlertSettings;
}

export function leadWorkerOptions(deps: LeadWorkerDependencies): WorkerOptions {
  return {
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: deps.taskQueue ?? LEAD_TASK_QUEUE,
    // A prebuilt bundle has the workflow interceptors in it (workers/bundle).
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle, interceptors: { activity: [correlationActivityInterceptors] } }
      : {
          workflowsPath: WORKFLOWS_PATH,
          bundlerOptions: { preloadModules: SHARED_WORKFLOW_MODULES },
          interceptors: { activity: [correlationActivityInterceptors], workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
        }),
    activities: { ...createLeadActivities({ pool: deps.pool, catalog: deps.catalog }), ...createHandoffActivities({ pool: deps.pool, freeMailDomains: deps.catalog.model.scoring.icp.freeMailDomains, alerts: deps.alerts }) },
    maxCachedWorkflows: deps.maxCachedWorkflows ?? 1000,
  };
}
