/**
 * The memtable: recent versions in memory, sorted by internal key (user key ascending, sequence
 * descending), with an estimate of the memory they use.
 *
 * A memtable is written only by the engine's commit loop, which inserts a whole commit group
 * synchronously before publishing its sequence numbers, so a reader at sequence `s` never sees
 * part of a batch. Readers iterate in chunks collected synchronously, so an insert between two
 * chunks can never disturb a tree iterator in flight; inserts made after a reader's snapshot carry
 * higher sequence numbers, which the reader skips.
 *
 * Once frozen, a memtable takes no more inserts and is flushed to an SSTable.
 *
 * @module
 */

import sortedBtree from "sorted-btree";
import { assert } from "../util/assert.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";

/**
 * Estimated bytes a version costs beyond its key and value: the entry object, the two arrays'
 * headers and the B+ tree slot. An estimate: V8 does not report object sizes.
 */
export const MEMTABLE_ENTRY_OVERHEAD_BYTES = 160;

// The package is CommonJS: under Deno its default import is `module.exports`, whose `default`
// property is the class.
const BTree = sortedBtree.default;

/** Number of entries a cursor collects per synchronous step. */
const CHUNK_ENTRIES = 128;

/** Sorted in-memory versions; see the module documentation. */
export class Memtable {
  readonly #tree = new BTree<InternalEntry, undefined>(undefined, compareInternal);
  #sizeBytes = 0;
  #frozen = false;

  /** Estimated memory held, in bytes. */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** Number of versions held. */
  get entryCount(): number {
    return this.#tree.size;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Stops further inserts. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Inserts one version; the memtable keeps references to its arrays, which must not change. */
  add(entry: InternalEntry): void {
    assert(!this.#frozen, "insert into a frozen memtable");
    const inserted = this.#tree.set(entry, undefined, false);
    assert(inserted, `sequence ${entry.sequence} inserted twice for one key`);
    this.#sizeBytes += entry.userKey.length + entry.value.length + MEMTABLE_ENTRY_OVERHEAD_BYTES;
  }

  /** Returns the newest version of `userKey` with sequence `<= sequence`, tombstones included. */
  get(userKey: Uint8Array, sequence: number): InternalEntry | undefined {
    const pair = this.#tree.getPairOrNextHigher(probe(userKey, sequence));
    if (!pair) return undefined;
    const entry = pair[0];
    return compareKeys(entry.userKey, userKey) === 0 ? entry : undefined;
  }

  /**
   * Iterates every version in internal-key order from the first version of `startUserKey` (or the
   * beginning), or in reverse internal-key order from the last version below `endUserKey` (or the
   * end) when `reverse` is set. Safe to interleave with inserts (see the module documentation).
   */
  *entries(
    options: { startUserKey?: Uint8Array; endUserKey?: Uint8Array; reverse?: boolean } = {},
  ) {
    let chunk: InternalEntry[];
    let last: InternalEntry | undefined;
    if (!options.reverse) {
      const start = options.startUserKey ? probe(options.startUserKey, MAX_SEQUENCE) : undefined;
      chunk = this.#collect(this.#tree.entries(start), undefined);
      while (chunk.length > 0) {
        yield* chunk;
        last = chunk[chunk.length - 1]!;
        chunk = this.#collect(this.#tree.entries(last), last);
      }
      return;
    }
    // This probe sorts before every version of endUserKey, and skipHighest excludes the probe.
    const end = options.endUserKey ? probe(options.endUserKey, MAX_SEQUENCE) : undefined;
    chunk = this.#collect(this.#tree.entriesReversed(end, undefined, true), end);
    while (chunk.length > 0) {
      yield* chunk;
      last = chunk[chunk.length - 1]!;
      chunk = this.#collect(this.#tree.entriesReversed(last, undefined, true), last);
    }
  }

  /** Takes up to one chunk from `iterator`, skipping an entry equal to `after`. */
  #collect(iterator: IterableIterator<[InternalEntry, undefined]>, after?: InternalEntry) {
    const chunk: InternalEntry[] = [];
    for (const [entry] of iterator) {
      if (after !== undefined && compareInternal(entry, after) === 0) continue;
      chunk.push(entry);
      if (chunk.length >= CHUNK_ENTRIES) break;
    }
    return chunk;
  }
}

function probe(userKey: Uint8Array, sequence: number): InternalEntry {
  return { userKey, sequence, kind: EntryKind.Delete, value: new Uint8Array(0) };
}
