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
 * Given a hasher, the memtable also keeps a bloom filter of its user keys, sized for the memtable
 * size, so a lookup of a key it does not hold usually stops before the map.
 *
 * Point lookups at or above a key's newest sequence (every read that is not from an older
 * snapshot) go through a hash map from the key's hash to its newest version. The tree search it
 * replaces compares about twenty keys byte by byte. Snapshot reads of overwritten keys, and keys
 * whose hash another key shares, still search the tree.
 *
 * @module
 */

import sortedBtree from "sorted-btree";
import { assert } from "../util/assert.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";
import { type BloomHash, bloomHash, MutableBloomFilter } from "./bloom_filter.ts";
import type { Hasher } from "./sstable_format.ts";

/**
 * Estimated bytes a version costs beyond its key and value bytes: the entry object, the two
 * typed-array views and the B+ tree slot, plus the WAL record framing the views point into.
 * Measured with `Deno.memoryUsage()` on Deno 2.9 (V8 15) at about 290 heap bytes and 20 record
 * bytes per version; V8 does not report object sizes, so this stays an estimate.
 */
export const MEMTABLE_ENTRY_OVERHEAD_BYTES = 320;

/**
 * Estimated bytes of the newest-version map per distinct user key: the map slot and its boxed
 * number key. An estimate, like the entry overhead.
 */
export const MEMTABLE_KEY_OVERHEAD_BYTES = 64;

/** Marks a map slot whose hash two different user keys share: their lookups search the tree. */
const SHARED_HASH = Symbol("shared hash");

// The package is CommonJS: under Deno its default import is `module.exports`, whose `default`
// property is the class.
const BTree = sortedBtree.default;

/** Number of entries a cursor collects per synchronous step. */
const CHUNK_ENTRIES = 128;

/** Options of a {@linkcode Memtable}; without them it keeps no key filter. */
export interface MemtableOptions {
  /** Hashes keys for the filter. */
  hasher: Hasher;
  /** Size the filter is built for; more entries only raise its false positive rate. */
  expectedSizeBytes: number;
}

/** Sorted in-memory versions; see the module documentation. */
export class Memtable {
  readonly #tree = new BTree<InternalEntry, undefined>(undefined, compareInternal);
  /** Newest version of each user key, by a 52-bit hash of the key (see {@linkcode mapKey}). */
  readonly #newest = new Map<number, InternalEntry | typeof SHARED_HASH>();
  readonly #hasher: Hasher | undefined;
  readonly #filter: MutableBloomFilter | undefined;
  #sizeBytes = 0;
  #frozen = false;

  constructor(options?: MemtableOptions) {
    if (options === undefined) return;
    // Every entry costs at least the overhead, so this is the most entries the size allows.
    const expectedEntryCount = Math.ceil(options.expectedSizeBytes / MEMTABLE_ENTRY_OVERHEAD_BYTES);
    this.#hasher = options.hasher;
    this.#filter = new MutableBloomFilter(expectedEntryCount);
    this.#sizeBytes = this.#filter.sizeBytes;
  }

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
    const hash = this.#hasher ? bloomHash(this.#hasher, entry.userKey) : undefined;
    if (this.#filter) this.#filter.addHash(hash!);
    this.#sizeBytes += entry.userKey.length + entry.value.length + MEMTABLE_ENTRY_OVERHEAD_BYTES;
    const key = mapKey(entry.userKey, hash);
    const slot = this.#newest.get(key);
    if (slot === undefined) {
      this.#sizeBytes += MEMTABLE_KEY_OVERHEAD_BYTES;
      this.#newest.set(key, entry);
    } else if (slot === SHARED_HASH) {
      // Lookups of this hash already search the tree.
    } else if (compareKeys(slot.userKey, entry.userKey) !== 0) {
      this.#newest.set(key, SHARED_HASH);
    } else if (slot.sequence < entry.sequence) {
      this.#newest.set(key, entry);
    }
  }

  /**
   * Returns the newest version of `userKey` with sequence `<= sequence`, tombstones included.
   * `hash`, the key's bloom hash, saves hashing it again.
   */
  get(userKey: Uint8Array, sequence: number, hash?: BloomHash): InternalEntry | undefined {
    const keyHash = this.#hasher ? hash ?? bloomHash(this.#hasher, userKey) : undefined;
    if (this.#filter && !this.#filter.mayContainHash(keyHash!)) return undefined;
    const slot = this.#newest.get(mapKey(userKey, keyHash));
    // No key with this hash, or another key alone owns it: `userKey` was never added.
    if (slot === undefined) return undefined;
    if (slot !== SHARED_HASH) {
      if (compareKeys(slot.userKey, userKey) !== 0) return undefined;
      if (slot.sequence <= sequence) return slot;
    }
    const pair = this.#tree.getPairOrNextHigher(probe(userKey, sequence));
    if (!pair) return undefined;
    const entry = pair[0];
    return compareKeys(entry.userKey, userKey) === 0 ? entry : undefined;
  }

  /**
   * Iterates every version with a user key in [start, end) in internal-key order, or in exactly
   * the reverse order when `reverse` is set. Safe to interleave with inserts (see the module
   * documentation).
   */
  *entries(
    options: { start?: Uint8Array; end?: Uint8Array; reverse?: boolean } = {},
  ): Generator<InternalEntry> {
    const { start, end } = options;
    if (!options.reverse) {
      let chunk = this.#collect(this.#tree.entries(start && probe(start, MAX_SEQUENCE)));
      while (chunk.length > 0) {
        for (const entry of chunk) {
          if (end !== undefined && compareKeys(entry.userKey, end) >= 0) return;
          yield entry;
        }
        const last = chunk[chunk.length - 1]!;
        chunk = this.#collect(this.#tree.entries(last), last);
      }
      return;
    }
    // This probe sorts before every version of `end`, and skipHighest excludes the probe itself.
    const high = end && probe(end, MAX_SEQUENCE);
    let chunk = this.#collect(this.#tree.entriesReversed(high, undefined, true), high);
    while (chunk.length > 0) {
      for (const entry of chunk) {
        if (start !== undefined && compareKeys(entry.userKey, start) < 0) return;
        yield entry;
      }
      const last = chunk[chunk.length - 1]!;
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

/**
 * Returns the newest-version map key of `userKey`: 52 bits of its bloom hash (exact in a double),
 * or, for a memtable without a hasher, an FNV-1a hash of its bytes.
 */
export function mapKey(userKey: Uint8Array, hash: BloomHash | undefined): number {
  if (hash !== undefined) return hash.high * 2 ** 20 + (hash.low >>> 12);
  let fnv = 0x811c9dc5;
  for (let index = 0; index < userKey.length; index++) {
    fnv = Math.imul(fnv ^ userKey[index]!, 0x01000193);
  }
  return fnv >>> 0;
}

function probe(userKey: Uint8Array, sequence: number): InternalEntry {
  return { userKey, sequence, kind: EntryKind.Delete, value: new Uint8Array(0) };
}
