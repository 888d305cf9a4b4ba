/**
 * A value made on first use and kept: for zod schemas of cold paths (the HTTP API, `staff
 * import`), which a box that never takes those paths should not build at start. Every zod schema
 * is an object graph with its own closures, and building a few hundred at import is what wakes
 * the JIT before the box has served anything.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}
