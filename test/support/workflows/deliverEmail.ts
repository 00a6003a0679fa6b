// A workflow for the crash tests: delivers one touch on the email send queue, `times` times in a row
// as a duplicated command would. The start-to-close timeout is short, so the attempt of a killed
// worker is retried within seconds.
import { proxyActivities } from '@temporalio/workflow';
import { sendTaskQueue, type DeliveryActivities, type DeliveryResult } from '../../../activities/types';

const ATTEMPT_TIMEOUT_MS = 5_000;

const { deliverTouch } = proxyActivities<DeliveryActivities>({
  taskQueue: sendTaskQueue('email'),
  startToCloseTimeout: ATTEMPT_TIMEOUT_MS,
  retry: { initialInterval: '100ms', backoffCoefficient: 1 },
});

export async function deliverEmail(request: Parameters<DeliveryActivities['deliverTouch']>[0], times = 1): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  for (let i = 0; i < times; i++) results.push(await deliverTouch(request));
  return results;
}
