// Keeps the Temporal runtime's chatter out of test output: the SDK's INFO and WARN lines (worker
// state, "no workflows registered" on send-only workers) and the core's WARN lines, which tests
// provoke on purpose (a replay that must fail, a workflow terminated mid-task). Errors still show.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
