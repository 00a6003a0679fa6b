// Keeps the Temporal runtime's own INFO chatter (worker state changes) out of test output.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
