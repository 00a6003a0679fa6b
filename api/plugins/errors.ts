// One error shape for every answer that is not a success, `{ error, details: [{ path, message }] }`,
// and the mapping of Fastify's own failures (validation, malformed or empty JSON, size, media type,
// rate limit) onto it; anything else is logged and answered 500 without its message.
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface ProblemDetail {
  path: string;
  message: string;
}

export function problem(reply: FastifyReply, status: number, error: string, details: ProblemDetail[] = []): FastifyReply {
  return reply.code(status).send({ error, details });
}

/** The problems zod found in `input`, each with its dotted path under `where` (`body.events.1.occurredAt`). */
export function zodDetails(where: string, issues: { path: PropertyKey[]; message: string }[]): ProblemDetail[] {
  return issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
}

const errors: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      // Named as the input policy and the routes name it: query, not Fastify's `querystring`.
      const where = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
      const details = err.validation.map((issue) => ({
        path: [where, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message ?? 'is invalid',
      }));
      return problem(reply, 400, `invalid ${where}`, details);
    }
    if (err.name === 'UnreadableJson') return problem(reply, 400, (err as FastifyError & { error: string }).error, [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return problem(reply, 400, 'malformed JSON', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return problem(reply, 400, 'empty body', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(reply, 413, 'body too large', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(reply, 415, 'unsupported media type', [{ path: 'content-type', message: err.message }]);
    if (err.statusCode === 429) return problem(reply, 429, 'rate limit exceeded', [{ path: 'authorization', message: err.message }]);
    reply.log.error(err);
    return problem(reply, 500, 'internal error');
  });
};

export default fp(errors, { name: 'errors' });
