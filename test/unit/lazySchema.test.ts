import { z } from 'zod';
import { lazySchema } from '../../core/lazySchema';

/** What the workflow worker does to a shared module's exports (see workers/bundle.ts). */
function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return value;
  seen.add(value);
  if (typeof value === 'object') {
    for (const key of Reflect.ownKeys(value)) {
      try {
        deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
      } catch {
        // Some objects cannot be frozen; the worker skips them too.
      }
    }
  }
  return Object.freeze(value);
}

// No zod format (z.email and the like): freezing one here would freeze zod's shared pattern for every test after.
const buildLead = () => z.object({ email: z.string().regex(/^[^@\s]+@[^@\s]+$/), size: z.number().int().min(0).optional() });

describe('lazySchema', () => {
  it('is why shared modules need it: a zod schema frozen before its first use cannot be used', () => {
    const frozen = deepFreeze({ schema: buildLead() }).schema;
    expect(() => frozen.safeParse({ email: 'ada@example.com' })).toThrow(TypeError);
  });

  it('parses, names the failing field and infers like the schema it stands for, after the freeze', () => {
    const shared = deepFreeze({ lead: lazySchema(buildLead) });
    expect(shared.lead.parse({ email: 'ada@example.com', size: 40 })).toEqual({ email: 'ada@example.com', size: 40 });
    const failed = shared.lead.safeParse({ email: 'not-an-email' });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['email']);
    expect(shared.lead).toBeInstanceOf(z.ZodType);
  });

  it('composes: a lazy schema inside another schema validates as part of it', () => {
    const size = deepFreeze(lazySchema(() => z.number().int().min(1)));
    const company = z.object({ name: z.string(), size: size.optional() });
    expect(company.safeParse({ name: 'Acme', size: 0 }).error?.issues[0]?.path).toEqual(['size']);
    expect(company.parse({ name: 'Acme', size: 5 })).toEqual({ name: 'Acme', size: 5 });
  });

  it('builds the schema once, on first use', () => {
    const build = jest.fn(() => z.string());
    const schema = lazySchema(build);
    expect(build).not.toHaveBeenCalled();
    schema.parse('a');
    schema.parse('b');
    expect(build).toHaveBeenCalledTimes(1);
  });
});
