// Small deterministic string hashes (FNV-1a), for holdout assignment and compact dedup keys, and the
// canonical JSON that content hashes are taken of. Not cryptographic; the same input gives the same
// output on every machine and in every replay.

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

/** JSON with object keys sorted and undefined members left out, so equal values read equal whatever their key order (code, or JSONB). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two values read the same as canonical JSON, whatever their key order. */
export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);
