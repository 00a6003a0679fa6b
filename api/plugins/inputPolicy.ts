// One input policy at the edge, before any route's schema: no string (value or key) in a path
// parameter, query or JSON body may hold a NUL byte or a lone UTF-16 surrogate (PostgreSQL refuses
// the first, and the second is not text), and a body may not nest deeper than MAX_DEPTH. Refused
// with a 400 that names where, so nothing reaches a route, a workflow or the database.
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import secureJson from 'secure-json-parse';
import { problem, type ProblemDetail } from './errors';

const MAX_DEPTH = 32;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first problem in `value`, with its dotted path under `where`; undefined when it is clean. */
function inputProblem(value: unknown, where: string, depth = 0): ProblemDetail | undefined {
  if (typeof value === 'string') return textProblem(value, where);
  // Parsed JSON, forms, parameters and queries; a streamed upload (CSV) is checked as it is read.
  if (value === null || typeof value !== 'object' || isStream(value)) return undefined;
  if (depth >= MAX_DEPTH) return { path: where, message: `nested deeper than ${MAX_DEPTH} levels` };
  for (const [key, inner] of Object.entries(value)) {
    const path = `${where}.${key}`;
    const found = textProblem(key, path, 'key') ?? inputProblem(inner, path, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function isStream(value: object): boolean {
  return Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === 'function';
}

function textProblem(text: string, path: string, what = 'text'): ProblemDetail | undefined {
  if (text.includes('\u0000')) return { path, message: `the ${what} holds a NUL character (\\u0000)` };
  if (LONE_SURROGATE.test(text)) return { path, message: `the ${what} holds a lone UTF-16 surrogate: not valid Unicode` };
  return undefined;
}

/** Why a JSON body could not be read, as the answer names it. */
class UnreadableJson extends Error {
  override name = 'UnreadableJson';
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const inputPolicy: FastifyPluginAsync = async (app) => {
  // JSON bodies as Fastify reads them (prototype keys refused), but saying which rule a body broke.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, secureJson.parse(body as string, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const message = (err as Error).message;
      if (/prototype/i.test(message)) done(new UnreadableJson('forbidden key', 'the keys __proto__ and constructor.prototype are refused'));
      else if (err instanceof RangeError) done(new UnreadableJson('refused input', `nested deeper than ${MAX_DEPTH} levels`));
      else done(new UnreadableJson((body as string).length ? 'malformed JSON' : 'empty body', (body as string).length ? message : 'the body is empty'));
    }
  });

  app.addHook('preValidation', async (request, reply) => {
    const found = inputProblem(request.params, 'params') ?? inputProblem(request.query, 'query') ?? inputProblem(request.body, 'body');
    if (found) return problem(reply, 400, 'refused input', [found]);
  });
};

export default fp(inputPolicy, { name: 'input-policy' });
