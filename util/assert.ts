/**
 * Always-on invariant checks for programmer errors.
 *
 * Client input never reaches an assertion: it gets a DynamoDB error instead. A failed assertion
 * means the process has broken one of its own invariants, so the error is not meant to be caught
 * and handled; the server logs it and exits rather than keep running on corrupt state.
 *
 * @module
 */

/** Error thrown when an internal invariant does not hold. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Throws {@linkcode AssertionError} with `message` unless `condition` is true. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch that the type system proves unreachable. */
export function unreachable(value: never, message = "unreachable branch"): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
