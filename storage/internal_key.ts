/**
 * Internal keys: a user key plus the sequence number and kind of one version of it.
 *
 * Every write batch gets consecutive sequence numbers, so a reader at snapshot sequence `s` sees,
 * for each user key, the newest version whose sequence is `<= s`. Memtables, SSTables and the
 * merge iterator all order versions the same way: user key ascending (unsigned bytes), then
 * sequence descending, so the newest version of a key comes first.
 *
 * Sequence numbers stay below 2^53 so they fit a JavaScript number exactly; at a million writes
 * per second that lasts about 285 years.
 *
 * @module
 */

import { compareKeys } from "./engine.ts";

/**
 * Kind of a version. Stored on disk (WAL records and SSTable entries): the values are frozen.
 */
export const EntryKind = {
  /** A tombstone: the key was deleted at this sequence. */
  Delete: 0,
  /** A value was written at this sequence. */
  Put: 1,
} as const;

/** One of the {@linkcode EntryKind} values. */
export type EntryKind = typeof EntryKind[keyof typeof EntryKind];

/** Largest sequence number that may be assigned. */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** One version of a user key. For a tombstone, `value` is empty. */
export interface InternalEntry {
  userKey: Uint8Array;
  sequence: number;
  kind: EntryKind;
  value: Uint8Array;
}

/** Orders versions by user key ascending, then sequence descending (newest first). */
export function compareInternal(
  a: { userKey: Uint8Array; sequence: number },
  b: { userKey: Uint8Array; sequence: number },
): number {
  const byKey = compareKeys(a.userKey, b.userKey);
  if (byKey !== 0) return byKey;
  return b.sequence - a.sequence;
}
