// A replay job of `nurture replay --jobs <n>` (workers/replay.ts starts it): takes the workflow bundle,
// then histories, from its parent, replays them one after the other as `nurture replay` does in one
// process, and sends back each outcome. Its input ends when the parent disconnects; then it exits.
import { on } from 'node:events';
import type { WorkflowBundle } from '@temporalio/worker';
import * as proto from '@temporalio/proto';
import type { NamedHistory } from './history';
import { replayHistories, type FromReplayJob, type ToReplayJob } from './replay';

/** Messages from the parent, as an iterator: the bundle, then the histories, until it disconnects. */
async function* messages(): AsyncGenerator<ToReplayJob> {
  for await (const [message] of on(process, 'message', { close: ['disconnect'] })) yield message as ToReplayJob;
}

async function main(): Promise<void> {
  const input = messages();
  const first = await input.next();
  if (first.done || !('bundle' in first.value)) throw new Error('a replay job takes the workflow bundle first');
  const bundle: WorkflowBundle = first.value.bundle;
  async function* histories(): AsyncGenerator<NamedHistory> {
    for await (const message of input) {
      if (!('index' in message)) throw new Error('a replay job takes one bundle, then histories');
      // The index stands in for the label, to pair each outcome with its history in the parent.
      yield { label: String(message.index), workflowId: message.workflowId, history: proto.temporal.api.history.v1.History.decode(message.history) };
    }
  }
  for await (const outcome of replayHistories(bundle, histories())) {
    if (!process.connected) break;
    process.send!({ index: Number(outcome.label), outcome } satisfies FromReplayJob);
  }
}

if (!process.send) {
  process.stderr.write('workers/replayJob.ts is started by `nurture replay --jobs <n>`, not by hand.\n');
  process.exit(2);
}
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`replay job: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
