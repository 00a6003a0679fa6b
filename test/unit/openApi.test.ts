// The OpenAPI document at /docs/json describes every route: it is built from the routes' zod
// schemas, and one schema zod cannot express (a stand-in nested in a transform) broke all of it.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { buildApi } from '../../api/app';
import type { EventRelay } from '../../api/relay';

it('serves the OpenAPI document with the reps, handoff and desk routes in it', async () => {
  // The document is made from the routes alone: nothing here is called.
  const app = await buildApi({ pool: {} as Pool, client: {} as Client, relay: {} as EventRelay, erasureSecret: 'unused', public: { linkSecret: 'unused-link-secret-0123', publicUrl: 'http://127.0.0.1' } });
  try {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/docs/json`);
    expect(response.status).toBe(200);
    const { paths } = (await response.json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/reps', '/v1/reps/{id}', '/v1/teams', '/v1/handoffs/{id}/reassign', '/v1/handoffs/{id}/snooze', '/v1/keys']));
    expect(paths['/v1/reps']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { properties: { workingHours: expect.any(Object) } } } } });
  } finally {
    await app.close();
  }
});
