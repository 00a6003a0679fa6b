// What an activity's log lines carry beside the SDK's workflow and activity ids: the correlation id
// of the request that caused it (in the header the workflow's interceptors put on the activity:
// workflows/correlation), on every line after the SDK's "Activity started".
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { correlationIdOf } from '../workflows/correlation';

export const correlationActivityInterceptors: ActivityInterceptorsFactory = () => {
  let correlationId: string | undefined;
  return {
    inbound: {
      execute: (input, next) => {
        correlationId = correlationIdOf(input.headers);
        return next(input);
      },
    },
    outbound: {
      // The task token is an opaque blob for completing the task from elsewhere, not for readers.
      getLogAttributes: ({ taskToken: _taskToken, ...input }, next) => next(correlationId ? { ...input, correlationId } : input),
    },
  };
};
