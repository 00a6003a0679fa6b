// Keeps the Temporal runtime's chatter out of test output: the SDK's INFO (worker state changes)
// and the core's WARN lines, which tests provoke on purpose (a replay that must fail, a workflow
// terminated mid-task). Errors still show.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
