// The input rules every door shares: the charset of the ids a customer's systems give us, and the
// bounds of free-form data (event properties, lead attributes, consent evidence) that we store as
// it came. Schemas are built per use: core is frozen where workflows share it (core/lazySchema.ts).
import { z } from 'zod';

const ID_MAX_LENGTH = 128;

/** A lead or event id: letters, digits and `_ - . : @`, at most 128 (an email address or a CRM id fits; a path does not). */
export const identifier = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(ID_MAX_LENGTH)
    .regex(new RegExp('^[A-Za-z0-9_.:@-]*$'), 'may hold only letters, digits and _ - . : @');

export const FREE_FORM_LIMITS = { depth: 8, keys: 200, bytes: 64 * 1024 } as const;

/** Why `value` breaks the free-form limits (levels of nesting, a flat object being one; keys counted at every level; size as UTF-8 JSON), or undefined. */
export function freeFormProblem(value: unknown): string | undefined {
  let keys = 0;
  const deepest = (inner: unknown, depth: number): number => {
    if (inner === null || typeof inner !== 'object') return depth;
    const entries = Object.values(inner);
    keys += Array.isArray(inner) ? 0 : entries.length;
    return entries.reduce<number>((max, item) => Math.max(max, deepest(item, depth + 1)), depth + 1);
  };
  const depth = deepest(value, 0);
  if (depth > FREE_FORM_LIMITS.depth) return `nested ${depth} levels deep; at most ${FREE_FORM_LIMITS.depth}`;
  if (keys > FREE_FORM_LIMITS.keys) return `holds ${keys} keys; at most ${FREE_FORM_LIMITS.keys}`;
  const bytes = new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  if (bytes > FREE_FORM_LIMITS.bytes) return `is ${bytes} bytes as JSON; at most ${FREE_FORM_LIMITS.bytes}`;
  return undefined;
}

/** `schema` refusing values beyond the free-form limits, with the reason as the message. */
export const boundedFreeForm = <T extends z.ZodType>(schema: T) =>
  schema.superRefine((value, ctx) => {
    const found = freeFormProblem(value);
    if (found) ctx.addIssue({ code: 'custom', message: found });
  });

/** Flat name → scalar pairs (lead attributes, consent evidence). */
export const flatRecord = () => boundedFreeForm(z.record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])));
