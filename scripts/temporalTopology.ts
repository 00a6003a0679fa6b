// The shape of a self-hosted Temporal cluster, described once: `npm start` with
// NURTURE_TEMPORAL=cluster and the cluster tests run it from this (devstack/cluster.ts), and
// docker-compose.yml runs the same (test/unit/compose.test.ts holds the two together).

/** The server release both run: built from the Go module proxy here, `temporalio/server:<it>` in Compose. */
export const TEMPORAL_SERVER_RELEASE = '1.29.1';

/** One process (one container) per service, as production runs them. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/** Fixed for a cluster's life: changing it needs a new cluster. */
export const HISTORY_SHARDS = 4;

/** Temporal's two databases on its PostgreSQL: workflow state, and visibility (search). */
export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;
