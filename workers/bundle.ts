// How the lead and handoff workflows are bundled, in one place: the worker, the replayer, the tests
// and the benchmarks all run the same bundle.
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The production workflows: the bundler's entry point the worker registers. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Libraries evaluated once per workflow thread and shared by every workflow on it, instead of once
 * per workflow. Unpacking the time-zone database alone costs ~170 ms and ~12 MB: per workflow, it
 * made each cached lead weigh ~7 MB and capped lead starts near 5 per second (bench/workflows).
 * Only stateless libraries belong here: the SDK deep-freezes their exports. That rules out our own
 * modules that export zod schemas, since zod completes a schema's methods on first use.
 */
export const SHARED_WORKFLOW_MODULES = ['@js-joda/core', '@js-joda/timezone', 'zod'];

/** The bundler reports webpack's progress; nobody reading a worker's or a test's output needs it. */
export const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function bundleLeadWorkflows(options: Partial<BundleOptions> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: SHARED_WORKFLOW_MODULES, logger: silentLogger, ...options });
}
