// The lead workflow's activities: loading the catalog (with the pinned versions a running lead
// needs) and its fingerprint, and recording the engine's decisions in one transaction. All are
// idempotent, as activities retry.
import type { Pool } from 'pg';
import { catalogFingerprint } from '../core/catalogDiff';
import type { Catalog } from '../core/protocol';
import { inTransaction } from '../db/pool';
import { recordDecisions } from '../db/repositories/decisions';
import { findVersions } from '../db/repositories/sequenceVersions';
import { countStageChange } from './metrics';
import type { LeadActivities } from './types';

/** `catalog` answers the catalog the worker runs on now: a promotion rule may move it onto a new version. */
export function createLeadActivities({ pool, catalog }: { pool: Pool; catalog: () => Catalog }): LeadActivities {
  // Fingerprinted once per catalog the worker runs on.
  const fingerprints = new WeakMap<Catalog, string>();
  const versioned = () => {
    const current = catalog();
    let version = fingerprints.get(current);
    if (version === undefined) fingerprints.set(current, (version = catalogFingerprint(current)));
    return { ...current, version };
  };
  return {
    async loadCatalog({ versions }) {
      const current = versioned();
      const missing = versions.filter((version) => !current.versions[version]);
      if (!missing.length) return current;
      return { ...current, versions: { ...current.versions, ...(await findVersions(pool, missing)) } };
    },

    async catalogVersion() {
      return versioned().version;
    },

    async recordDecisions({ leadId, decisions, snapshot }) {
      const changed = await inTransaction(pool, (tx) => recordDecisions(tx, leadId, decisions, snapshot));
      // Counted once committed, and once each: a retry finds its rows written.
      for (const change of changed) countStageChange(change.from, change.to);
    },
  };
}
