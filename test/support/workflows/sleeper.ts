// A tiny workflow for infrastructure smoke tests: sleeps, then reports how much workflow time passed.
import { sleep } from '@temporalio/workflow';

export async function sleeper(days: number): Promise<number> {
  const startedAt = Date.now();
  await sleep(`${days} days`);
  return Date.now() - startedAt;
}
