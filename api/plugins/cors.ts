// CORS for browser ingestion: pages on the allowed origins may post events straight to
// POST /v1/events. Its preflight needs no key (browsers send none); every other route answers no
// browser from another origin.
import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from './correlation';

interface CorsOptions {
  /** Browser origins that may post events (`*`: any). */
  origins: '*' | string[];
}

const ingestionCors: FastifyPluginAsync<CorsOptions> = async (app, { origins }) => {
  const ingest = {
    origin: origins,
    methods: ['POST'],
    // A page may pass its own correlation id, and read the one the API answers with.
    allowedHeaders: ['Authorization', 'Content-Type', REQUEST_ID_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER],
    maxAge: 600,
  };
  await app.register(cors, {
    delegator: (request, done) => done(null, request.url.split('?')[0] === '/v1/events' ? ingest : { origin: false }),
  });
};

export default fp(ingestionCors, { name: 'cors' });
