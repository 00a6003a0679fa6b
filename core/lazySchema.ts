// Schemas built on first use instead of at import.
//
// The workflow worker evaluates core once per thread and shares it between every workflow on the
// thread, deep-freezing what the shared modules export (workers/bundle.ts). A zod schema finishes
// building itself as it is used (it binds its methods onto the instance on first read), which a
// frozen schema refuses. So a shared module exports a stand-in: the freeze reaches only the empty
// stand-in, and the schema behind it is built on the first read, never reachable from the exports.

const BUILT = Symbol('lazySchema.built');

/** A stand-in for the schema `build` returns, built on first use; it reads like the schema itself. */
export function lazySchema<T extends object>(build: () => T): T {
  let schema: T | undefined;
  const current = () => (schema ??= build());
  return new Proxy(Object.create(null) as T, {
    get: (_, key) => (key === BUILT ? current() : Reflect.get(current(), key)),
    has: (_, key) => Reflect.has(current(), key),
  });
}

/**
 * The schema behind a stand-in, for composing it into another schema while that one is built:
 * JSON Schema generation (the OpenAPI document) keys what it has seen by the schema object, and a
 * stand-in nested in a transform or pipe is not the object it then looks up.
 */
export function builtSchema<T extends object>(schema: T): T {
  return (Reflect.get(schema, BUILT) as T | undefined) ?? schema;
}
