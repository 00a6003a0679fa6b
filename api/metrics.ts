// Prometheus metrics of the API process, served at /metrics: requests by route and status with
// their latency, events ingested and deduplicated, handoff actions, and Node's own (memory, event
// loop lag, GC).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  events: Counter<'outcome'>;
  handoffActions: Counter<'action'>;
  leadsImported: Counter<'outcome'>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nurture_api_' });
  return {
    registry,
    requests: new Histogram({
      name: 'nurture_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    events: new Counter({ name: 'nurture_events_ingested_total', help: 'Events posted, by outcome: accepted or duplicate', labelNames: ['outcome'], registers: [registry] }),
    handoffActions: new Counter({ name: 'nurture_handoff_actions_total', help: 'Sales actions on handoff tasks', labelNames: ['action'], registers: [registry] }),
    leadsImported: new Counter({ name: 'nurture_leads_imported_total', help: 'CSV rows imported, by outcome: imported, updated or failed', labelNames: ['outcome'], registers: [registry] }),
  };
}
