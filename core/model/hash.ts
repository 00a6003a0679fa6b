// Small deterministic string hashes (FNV-1a), for holdout assignment and compact dedup keys.
// Not cryptographic; the same input gives the same output on every machine and in every replay.

function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A 52-bit fingerprint as a plain number (exact in a double): two independent 32-bit hashes combined. */
export function fingerprint(text: string): number {
  return fnv1a32(text) * 0x100000 + (fnv1a32(text, 0x9747b28c) >>> 12);
}

/** True for the deterministic `percent` share of ids held out of all touches. */
export function isHoldout(leadId: string, percent: number): boolean {
  return fnv1a32(`holdout:${leadId}`) % 10_000 < Math.round(percent * 100);
}
