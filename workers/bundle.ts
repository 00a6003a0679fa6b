// How the lead and handoff workflows are bundled, in one place: the worker, the replayer, the tests,
// the benchmarks and the build step (`npm run build:workflows`) all run the same bundle.
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The production workflows: the bundler's entry point the worker registers. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Modules evaluated once per workflow thread and shared by every workflow on it, instead of once
 * per workflow: the time-zone database (unpacking it costs ~170 ms and ~12 MB), zod, and the core
 * whose decisions the workflows make (its schemas alone cost ~9 ms per workflow to build).
 * Per workflow they made each cached lead weigh ~7 MB and capped lead starts and replays
 * (bench/workflows). Only stateless modules belong here: the SDK deep-freezes their exports, which
 * is why core's schemas are lazy stand-ins (core/lazySchema.ts).
 */
const SHARED_WORKFLOW_MODULES = [
  '@js-joda/core',
  '@js-joda/timezone',
  'zod',
  ...['../core/engine', '../core/model/events', '../core/model/lead', '../core/model/tuning'].map((module) => require.resolve(module)),
];

/** Bundled beside the workflows: they pass API requests' correlation ids on to what workflows start. */
const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/correlation')];

/** The bundler reports webpack's progress; nobody reading a worker's or a test's output needs it. */
export const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function bundleLeadWorkflows(options: Partial<BundleOptions> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    preloadModules: SHARED_WORKFLOW_MODULES,
    logger: silentLogger,
    ...options,
  });
}

/**
 * The bundle the lead worker runs: one built ahead of time (`npm run build:workflows`, as the
 * production image does) when its path is given, else one bundled now, in about a second.
 */
export async function leadWorkflowBundle(prebuiltPath?: string): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  return prebuiltPath ? { codePath: path.resolve(prebuiltPath) } : bundleLeadWorkflows();
}
