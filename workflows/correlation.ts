// The correlation id of an API request travels in a Temporal header: the API's client puts it on the
// signals and updates the request causes (api/plugins/correlation), and these workflow interceptors (bundled with the
// workflows, workers/bundle) pass the latest one a workflow received on to the activities, child
// workflows and signals it starts next, and put it on its log lines. Headers are not part of what
// replay compares, and the id comes from history, so replays stay deterministic.
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

const HEADER = 'nurture-correlation-id';

export function withCorrelationId(headers: Headers, correlationId: string | undefined): Headers {
  return correlationId ? { ...headers, [HEADER]: defaultPayloadConverter.toPayload(correlationId) } : headers;
}

export function correlationIdOf(headers: Headers): string | undefined {
  const payload = headers[HEADER];
  return payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let current: string | undefined;
  const remember = (headers: Headers) => {
    current = correlationIdOf(headers) ?? current;
  };
  const stamp = <T extends { headers: Headers }>(input: T): T => ({ ...input, headers: withCorrelationId(input.headers, current) });
  return {
    inbound: [
      {
        execute: (input, next) => {
          remember(input.headers);
          return next(input);
        },
        handleSignal: (input, next) => {
          remember(input.headers);
          return next(input);
        },
        handleUpdate: (input, next) => {
          remember(input.headers);
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(stamp(input)),
        scheduleLocalActivity: (input, next) => next(stamp(input)),
        startChildWorkflowExecution: (input, next) => next(stamp(input)),
        signalWorkflow: (input, next) => next(stamp(input)),
        continueAsNew: (input, next) => next(stamp(input)),
        getLogAttributes: (input, next) => next(current ? { ...input, correlationId: current } : input),
      },
    ],
  };
};
