/**
 * Byte-bounded LRU cache of decoded, checksum-verified SSTable data blocks, shared by every open
 * table of an engine. Entries are keyed by table file number and block offset. File numbers are
 * never reused, so blocks of a deleted table are never served for another table; they simply age
 * out.
 *
 * Runs on the request path (point lookups and scans). The size of an entry is its block's bytes
 * plus a fixed allowance for the objects around them, so the cache's memory stays near
 * `capacityBytes`.
 *
 * @module
 */

import { LRUCache } from "lru-cache";
import { assert } from "../util/assert.ts";

/** Bytes charged per cached block on top of its contents, for the objects and map entry. */
export const BLOCK_OVERHEAD_BYTES = 128;

/** Something with a byte size that the cache can hold. */
export interface CacheableBlock {
  readonly contents: Uint8Array;
  readonly restartOffsets: Uint32Array;
}

/** Counters of a {@linkcode BlockCache}. */
export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Bytes currently charged, at most `capacityBytes`. */
  sizeBytes: number;
  capacityBytes: number;
  blockCount: number;
}

/** LRU cache of data blocks, bounded in bytes. */
export class BlockCache<Block extends CacheableBlock = CacheableBlock> {
  readonly #cache: LRUCache<string, Block>;
  readonly #capacityBytes: number;
  #hits = 0;
  #misses = 0;

  constructor(options: { capacityBytes: number }) {
    assert(
      Number.isSafeInteger(options.capacityBytes) && options.capacityBytes > 0,
      `block cache capacity must be a positive integer: ${options.capacityBytes}`,
    );
    this.#capacityBytes = options.capacityBytes;
    this.#cache = new LRUCache<string, Block>({
      maxSize: options.capacityBytes,
      sizeCalculation: blockSizeBytes,
    });
  }

  /** Returns the cached block, counting a hit or a miss. */
  get(fileNumber: number, offset: number): Block | undefined {
    const block = this.#cache.get(cacheKey(fileNumber, offset));
    if (block === undefined) this.#misses++;
    else this.#hits++;
    return block;
  }

  /** Caches a block; a block larger than the whole capacity is not cached. */
  set(fileNumber: number, offset: number, block: Block): void {
    if (blockSizeBytes(block) > this.#capacityBytes) return;
    this.#cache.set(cacheKey(fileNumber, offset), block);
  }

  /** Returns the hit and miss counters and the current size. */
  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      sizeBytes: this.#cache.calculatedSize,
      capacityBytes: this.#capacityBytes,
      blockCount: this.#cache.size,
    };
  }

  /** Drops every block. The counters are kept. */
  clear(): void {
    this.#cache.clear();
  }
}

function cacheKey(fileNumber: number, offset: number): string {
  return `${fileNumber}:${offset}`;
}

function blockSizeBytes(block: CacheableBlock): number {
  return block.contents.byteLength + block.restartOffsets.byteLength + BLOCK_OVERHEAD_BYTES;
}
