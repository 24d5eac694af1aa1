/**
 * Bloom filter over the user keys of one SSTable, so a point lookup skips a table that cannot
 * contain the key without reading a data block. Layout in `storage/FORMAT.md`, section
 * "Bloom filter".
 *
 * Hashing is double hashing over one XXH64 (seed 0) of the user key: `h1` is its low 32 bits,
 * `h2` its high 32 bits, and probe `i` sets bit `(h1 + i * h2) mod 2^32 mod bitCount`. With 10
 * bits per key and 7 probes the expected false positive rate is about 0.8%. The filter never
 * returns a false negative. The probe count is stored in the filter, so a reader decodes filters
 * written with any bits-per-key setting.
 *
 * @module
 */

import type { Hasher } from "./sstable_format.ts";
import { assert } from "../util/assert.ts";

/** Default filter size per distinct user key. */
export const DEFAULT_BITS_PER_KEY = 10;
/** Largest probe count accepted when decoding; more would only slow lookups. */
export const MAX_PROBE_COUNT = 30;
/** Bytes charged per cached filter on top of its bits, for the objects around them. */
export const FILTER_OVERHEAD_BYTES = 128;
/** Smallest bit array, so tiny tables still get a useful filter. */
const MIN_FILTER_BITS = 64;

const HASH_SEED = 0n;
const LOW_32_BITS = 0xffffffffn;

/** The two 32-bit halves of a key's XXH64, from which every probe position derives. */
export interface BloomHash {
  low: number;
  high: number;
}

/** Hashes a user key for {@linkcode BloomFilterBuilder.addHash} and {@linkcode BloomFilter}. */
export function bloomHash(hasher: Hasher, userKey: Uint8Array): BloomHash {
  const hash = hasher.h64Raw(userKey, HASH_SEED);
  return { low: Number(hash & LOW_32_BITS), high: Number(hash >> 32n) };
}

/** Returns the probe count that minimises false positives for `bitsPerKey`: round(bits * ln 2). */
export function probeCountFor(bitsPerKey: number): number {
  return Math.min(MAX_PROBE_COUNT, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
}

/** Collects key hashes and encodes the filter once the key count is known. */
export class BloomFilterBuilder {
  readonly #hasher: Hasher;
  readonly #bitsPerKey: number;
  /** Hash halves of the keys added so far, interleaved (low, high), 8 bytes per key. */
  #hashes = new Uint32Array(2 * 1024);
  #keyCount = 0;

  constructor(hasher: Hasher, bitsPerKey = DEFAULT_BITS_PER_KEY) {
    assert(bitsPerKey >= 1, `bits per key must be at least 1: ${bitsPerKey}`);
    assert(bitsPerKey <= 64, `bits per key must be at most 64: ${bitsPerKey}`);
    this.#hasher = hasher;
    this.#bitsPerKey = bitsPerKey;
  }

  /** Number of keys added so far. */
  get keyCount(): number {
    return this.#keyCount;
  }

  /** Adds a user key. Adding the same key twice only costs space. */
  addKey(userKey: Uint8Array): void {
    this.addHash(bloomHash(this.#hasher, userKey));
  }

  /** Adds a key by its precomputed hash. */
  addHash(hash: BloomHash): void {
    if (2 * this.#keyCount + 2 > this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[2 * this.#keyCount] = hash.low;
    this.#hashes[2 * this.#keyCount + 1] = hash.high;
    this.#keyCount++;
  }

  /** Encodes the filter: the bit array, then the probe count (u8). */
  finish(): Uint8Array {
    const bitCount = Math.max(MIN_FILTER_BITS, Math.ceil(this.keyCount * this.#bitsPerKey));
    const byteCount = Math.ceil(bitCount / 8);
    const probeCount = probeCountFor(this.#bitsPerKey);
    const bytes = new Uint8Array(byteCount + 1);
    const bits = byteCount * 8;
    for (let key = 0; key < this.#keyCount; key++) {
      const low = this.#hashes[2 * key]!;
      const high = this.#hashes[2 * key + 1]!;
      for (let probe = 0; probe < probeCount; probe++) {
        const position = ((low + Math.imul(probe, high)) >>> 0) % bits;
        bytes[position >>> 3]! |= 1 << (position & 7);
      }
    }
    bytes[byteCount] = probeCount;
    return bytes;
  }
}

/** A decoded filter for membership queries. */
export class BloomFilter {
  readonly #hasher: Hasher;
  readonly #bits: Uint8Array;
  readonly #probeCount: number;

  private constructor(hasher: Hasher, bits: Uint8Array, probeCount: number) {
    this.#hasher = hasher;
    this.#bits = bits;
    this.#probeCount = probeCount;
  }

  /**
   * Decodes filter block contents, or returns undefined when they are malformed (empty bit array
   * or probe count out of range). Keeps a view of `contents`, which must not change.
   */
  static decode(hasher: Hasher, contents: Uint8Array): BloomFilter | undefined {
    if (contents.length < 2) return undefined;
    const probeCount = contents[contents.length - 1]!;
    if (probeCount < 1 || probeCount > MAX_PROBE_COUNT) return undefined;
    return new BloomFilter(hasher, contents.subarray(0, contents.length - 1), probeCount);
  }

  /** Returns false only when `userKey` was certainly never added. */
  mayContain(userKey: Uint8Array): boolean {
    return this.mayContainHash(bloomHash(this.#hasher, userKey));
  }

  /** Same as {@linkcode mayContain}, for a precomputed hash. */
  mayContainHash(hash: BloomHash): boolean {
    const bits = this.#bits.length * 8;
    for (let probe = 0; probe < this.#probeCount; probe++) {
      const position = ((hash.low + Math.imul(probe, hash.high)) >>> 0) % bits;
      if ((this.#bits[position >>> 3]! & (1 << (position & 7))) === 0) return false;
    }
    return true;
  }

  /** Size of the bit array in bytes. */
  get sizeBytes(): number {
    return this.#bits.length;
  }

  /** Bytes the block cache charges for this filter: its bits and the objects around them. */
  get cacheChargeBytes(): number {
    return this.#bits.byteLength + FILTER_OVERHEAD_BYTES;
  }
}

/**
 * A bloom filter filled in place, for a memtable: sized once for an expected key count, it takes
 * keys by hash and answers at once. With more keys than expected, false positives grow but false
 * negatives never occur. Never stored on disk.
 */
export class MutableBloomFilter {
  readonly #bits: Uint8Array;
  readonly #bitCount: number;
  readonly #probeCount: number;

  constructor(expectedKeyCount: number, bitsPerKey = DEFAULT_BITS_PER_KEY) {
    assert(expectedKeyCount >= 0, `expected key count is negative: ${expectedKeyCount}`);
    const byteCount = Math.ceil(Math.max(MIN_FILTER_BITS, expectedKeyCount * bitsPerKey) / 8);
    this.#bits = new Uint8Array(byteCount);
    this.#bitCount = byteCount * 8;
    this.#probeCount = probeCountFor(bitsPerKey);
  }

  /** Size of the bit array in bytes. */
  get sizeBytes(): number {
    return this.#bits.length;
  }

  /** Adds a key by its hash. */
  addHash(hash: BloomHash): void {
    for (let probe = 0; probe < this.#probeCount; probe++) {
      const position = ((hash.low + Math.imul(probe, hash.high)) >>> 0) % this.#bitCount;
      this.#bits[position >>> 3]! |= 1 << (position & 7);
    }
  }

  /** Returns false only when no key with this hash was added. */
  mayContainHash(hash: BloomHash): boolean {
    for (let probe = 0; probe < this.#probeCount; probe++) {
      const position = ((hash.low + Math.imul(probe, hash.high)) >>> 0) % this.#bitCount;
      if ((this.#bits[position >>> 3]! & (1 << (position & 7))) === 0) return false;
    }
    return true;
  }
}
