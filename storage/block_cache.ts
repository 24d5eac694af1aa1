/**
 * Byte-bounded LRU cache of decoded, checksum-verified SSTable blocks (data blocks, index
 * partitions and filter partitions), shared by every open table of an engine. Entries are keyed
 * by table file number and block offset. File numbers are never reused, so blocks of a deleted
 * table are never served for another table; they simply age out.
 *
 * Runs on the request path (point lookups and scans). Each block states its own charge: its bytes
 * plus a fixed allowance for the objects around them, so the cache's memory stays near
 * `capacityBytes`.
 *
 * Pinned bytes: metadata that open tables keep outside the cache for their whole life (the
 * properties and the partition index) is charged here too with {@linkcode BlockCache.pin}. Blocks
 * are evicted until blocks and pinned bytes together fit the capacity, so the cache bounds the
 * memory of all table metadata, not only of the blocks it holds. Pinned bytes alone may exceed
 * the capacity; then no block stays cached.
 *
 * @module
 */

import { LRUCache } from "lru-cache";
import { assert } from "../util/assert.ts";

/** Bytes charged per cached block on top of its contents, for the objects and map entry. */
export const BLOCK_OVERHEAD_BYTES = 128;

/** Something the cache can hold: it states the bytes of memory it keeps alive. */
export interface CacheableBlock {
  readonly cacheChargeBytes: number;
}

/** Counters of a {@linkcode BlockCache}. */
export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Bytes currently charged: cached blocks plus pinned bytes. */
  sizeBytes: number;
  /** Bytes pinned by open tables, included in `sizeBytes`. */
  pinnedBytes: number;
  capacityBytes: number;
  blockCount: number;
  /** Blocks dropped to make room, over the cache's life. */
  evictions: number;
}

/** LRU cache of table blocks, bounded in bytes together with the pinned bytes. */
export class BlockCache {
  readonly #cache: LRUCache<number | string, CacheableBlock>;
  readonly #capacityBytes: number;
  #pinnedBytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: { capacityBytes: number }) {
    assert(
      Number.isSafeInteger(options.capacityBytes) && options.capacityBytes > 0,
      `block cache capacity must be a positive integer: ${options.capacityBytes}`,
    );
    this.#capacityBytes = options.capacityBytes;
    this.#cache = new LRUCache<number | string, CacheableBlock>({
      maxSize: options.capacityBytes,
      sizeCalculation: (block) => block.cacheChargeBytes,
      dispose: (_block, _key, reason) => {
        if (reason === "evict") this.#evictions++;
      },
    });
  }

  /**
   * Returns the cached block, counting a hit or a miss. `countMiss` false leaves a miss uncounted,
   * for a caller that reads the block through another `get` next.
   */
  get(fileNumber: number, offset: number, countMiss = true): CacheableBlock | undefined {
    const block = this.#cache.get(cacheKey(fileNumber, offset));
    if (block !== undefined) this.#hits++;
    else if (countMiss) this.#misses++;
    return block;
  }

  /**
   * Caches a block. A block larger than the capacity left beside the pinned bytes is not cached.
   */
  set(fileNumber: number, offset: number, block: CacheableBlock): void {
    if (block.cacheChargeBytes > this.#capacityBytes - this.#pinnedBytes) return;
    this.#cache.set(cacheKey(fileNumber, offset), block);
    this.#evictToCapacity();
  }

  /** Charges `bytes` of memory held outside the cache, evicting blocks to make room. */
  pin(bytes: number): void {
    assert(Number.isSafeInteger(bytes), `pinned bytes must be an integer: ${bytes}`);
    assert(bytes >= 0, `pinned bytes must not be negative: ${bytes}`);
    this.#pinnedBytes += bytes;
    this.#evictToCapacity();
  }

  /** Returns `bytes` charged by an earlier {@linkcode pin}. */
  unpin(bytes: number): void {
    assert(bytes <= this.#pinnedBytes, `unpinning ${bytes} of ${this.#pinnedBytes} pinned bytes`);
    this.#pinnedBytes -= bytes;
  }

  /** Returns the counters and the current size. */
  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      sizeBytes: this.#cache.calculatedSize + this.#pinnedBytes,
      pinnedBytes: this.#pinnedBytes,
      capacityBytes: this.#capacityBytes,
      blockCount: this.#cache.size,
      evictions: this.#evictions,
    };
  }

  /** Drops every block. The counters and pinned bytes are kept. */
  clear(): void {
    this.#cache.clear();
  }

  #evictToCapacity(): void {
    // pop() removes the least recently used block and reports it to dispose as an eviction.
    while (
      this.#cache.size > 0 &&
      this.#cache.calculatedSize + this.#pinnedBytes > this.#capacityBytes
    ) {
      this.#cache.pop();
    }
  }
}

/**
 * Returns the cache key of a block: a number for the usual file numbers and offsets, which the
 * map hashes faster than a string, and a string otherwise. A number and a string never collide.
 */
function cacheKey(fileNumber: number, offset: number): number | string {
  if (fileNumber < NUMERIC_KEY_FILE_LIMIT && offset < NUMERIC_KEY_OFFSET_LIMIT) {
    return fileNumber * NUMERIC_KEY_OFFSET_LIMIT + offset;
  }
  return `${fileNumber}:${offset}`;
}

/** Offsets below 2^32 and file numbers below 2^21 make numeric keys below 2^53. */
const NUMERIC_KEY_OFFSET_LIMIT = 2 ** 32;
const NUMERIC_KEY_FILE_LIMIT = 2 ** 21;
