// Small deterministic string hashes (FNV-1a), for holdout assignment and compact dedup keys.
// Not cryptographic; the same input gives the same output on every machine and in every replay.

export function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A 64-bit fingerprint as 16 hex digits: two independent 32-bit hashes side by side. */
export function fingerprint(text: string): string {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return hex(fnv1a32(text)) + hex(fnv1a32(text, 0x9747b28c));
}

/** True for the deterministic `percent` share of ids held out of all touches. */
export function isHoldout(leadId: string, percent: number): boolean {
  return fnv1a32(`holdout:${leadId}`) % 10_000 < Math.round(percent * 100);
}
