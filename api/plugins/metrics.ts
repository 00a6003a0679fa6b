// Prometheus metrics of the API process, served at /metrics: requests by route and status with
// their latency, events ingested and deduplicated, handoff actions, CSV rows, and Node's own
// (memory, event loop lag, GC), followed by the rest of the process's (its workers', the SDK's).
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

interface ApiMetrics {
  events: Counter<'outcome'>;
  handoffActions: Counter<'action'>;
  leadsImported: Counter<'outcome'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's counters, for the routes that count what they do. */
    metrics: ApiMetrics;
  }
}

interface MetricsOptions {
  /** The rest of the process's Prometheus metrics (the workers' and the Temporal SDK's), served after the API's own. */
  processMetrics?: () => Promise<string>;
}

const metrics: FastifyPluginAsync<MetricsOptions> = async (app, { processMetrics }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nurture_api_' });
  const requests = new Histogram({
    name: 'nurture_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.decorate('metrics', {
    events: new Counter({ name: 'nurture_events_ingested_total', help: 'Events posted, by outcome: accepted, duplicate, or erased (of an erased lead, dropped)', labelNames: ['outcome'], registers: [registry] }),
    handoffActions: new Counter({ name: 'nurture_handoff_actions_total', help: 'Sales actions on handoff tasks', labelNames: ['action'], registers: [registry] }),
    leadsImported: new Counter({ name: 'nurture_leads_imported_total', help: 'CSV rows imported, by outcome: imported, updated or failed', labelNames: ['outcome'], registers: [registry] }),
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const [own, rest] = await Promise.all([registry.metrics(), processMetrics?.() ?? '']);
    return reply.type(registry.contentType).send(`${own}\n${rest}`);
  });
};

export default fp(metrics, { name: 'metrics' });
