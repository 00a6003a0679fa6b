// bench/noopWorkflow: the baseline that bench/workflows measures the lead workflow against. It is
// shaped like a lead (handlers first, then waits on a condition with a days-long timeout, takes an
// `event` signal and answers a `state` query) but does nothing else: no activities, no engine, no
// search attributes. Its own bundle entry point; never registered by the engine's workers.
import { condition, defineQuery, defineSignal, proxySinks, setHandler, type Sinks } from '@temporalio/workflow';

export const noopEventSignal = defineSignal<[unknown]>('event');
export const noopStateQuery = defineQuery<{ events: number }>('state');

/** Called once the first activation is done, so the bench can count processed starts without a server round trip. */
export interface NoopSinks extends Sinks {
  bench: { started(): void };
}

const { bench } = proxySinks<NoopSinks>();
const WAIT_MS = 30 * 24 * 60 * 60 * 1000;

export async function noopWorkflow(_input: unknown): Promise<void> {
  let events = 0;
  let seen = 0;
  setHandler(noopEventSignal, () => void events++);
  setHandler(noopStateQuery, () => ({ events }));
  bench.started();
  for (;;) {
    // Like a lead: wake on a new input or on the next timer; fold nothing.
    await condition(() => events > seen, WAIT_MS);
    seen = events;
  }
}
