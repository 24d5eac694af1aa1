/**
 * Document paths: the address of an attribute or of a value nested inside maps and lists, such as
 * `a.b[2].c`, after `#name` placeholders have been replaced by the names they stand for.
 *
 * Called by every expression parser (overlap checks, messages) and by the evaluator, projection
 * and update code (reading values). Pure functions on the request path; nothing here mutates an
 * item.
 *
 * @module
 */

import type { AttributeValue, Item } from "../attribute_value.ts";

/**
 * One step of a document path: a string is a top-level attribute name or a map key, a number is a
 * list index (zero-based).
 */
export type PathElement = string | number;

/** A document path. The first element is always a top-level attribute name (a string). */
export type DocumentPath = PathElement[];

/**
 * Formats a path the way DynamoDB's messages print it: `a.b[1]` becomes `[a, b, [1]]`.
 */
export function formatPath(path: readonly PathElement[]): string {
  const parts = path.map((element) => typeof element === "number" ? `[${element}]` : element);
  return `[${parts.join(", ")}]`;
}

/**
 * Returns how two paths of one expression relate. They `overlap` when one is a prefix of the other
 * (`a` and `a.b`, or equal paths). They `conflict` when they agree up to a step where one indexes
 * a list and the other names a map key (`a.b` and `a[1]`). Otherwise the result is `undefined`.
 */
export function pathRelation(
  first: readonly PathElement[],
  second: readonly PathElement[],
): "overlap" | "conflict" | undefined {
  const sharedLength = Math.min(first.length, second.length);
  for (let index = 0; index < sharedLength; index++) {
    const a = first[index];
    const b = second[index];
    if (typeof a !== typeof b) return "conflict";
    if (a !== b) return undefined;
  }
  return "overlap";
}

/** Returns whether two paths are equal element by element. */
export function pathsEqual(first: readonly PathElement[], second: readonly PathElement[]): boolean {
  return first.length === second.length &&
    first.every((element, index) => element === second[index]);
}

/**
 * Returns the value at `path` in `item`. The result is `undefined` when the item is absent or a
 * step finds nothing: a missing key, a key of a value that is not a map, or an index past the end
 * of a list or into a value that is not a list.
 */
export function readPath(
  item: Item | undefined,
  path: readonly PathElement[],
): AttributeValue | undefined {
  if (item === undefined) return undefined;
  const head = path[0];
  if (typeof head !== "string" || !Object.hasOwn(item, head)) return undefined;
  let current: AttributeValue | undefined = item[head];
  for (let index = 1; index < path.length && current !== undefined; index++) {
    current = childOf(current, path[index] as PathElement);
  }
  return current;
}

/** Returns the element `step` of a map or list value, or `undefined` when there is none. */
export function childOf(value: AttributeValue, step: PathElement): AttributeValue | undefined {
  if (typeof step === "number") {
    return "L" in value ? value.L[step] : undefined;
  }
  if ("M" in value && Object.hasOwn(value.M, step)) return value.M[step];
  return undefined;
}

/**
 * Sets `record[key]` as an own property. Plain assignment would treat the key `__proto__` as the
 * prototype instead of an attribute name.
 */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  if (key !== "__proto__") {
    // Plain assignment keeps the object in V8's fast mode; defineProperty is several times slower.
    record[key] = value;
    return;
  }
  Object.defineProperty(record, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
