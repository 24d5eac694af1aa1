/**
 * Tests of the block cache: byte-bounded LRU eviction, hit and miss counters, keys that keep
 * tables apart, and pinned bytes that share the capacity with the blocks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BLOCK_OVERHEAD_BYTES, BlockCache, type CacheableBlock } from "./block_cache.ts";

function block(sizeBytes: number): CacheableBlock {
  return { cacheChargeBytes: sizeBytes + 4 + BLOCK_OVERHEAD_BYTES };
}

const CHARGE = 1000 + 4 + BLOCK_OVERHEAD_BYTES;

Deno.test("block cache counts hits and misses", () => {
  const cache = new BlockCache({ capacityBytes: 10 * CHARGE });
  const stored = block(1000);
  assert.equal(cache.get(1, 0), undefined);
  cache.set(1, 0, stored);
  assert.equal(cache.get(1, 0), stored);
  assert.equal(cache.get(1, 0), stored);
  const stats = cache.stats();
  assert.equal(stats.hits, 2);
  assert.equal(stats.misses, 1);
  assert.equal(stats.blockCount, 1);
  assert.equal(stats.sizeBytes, CHARGE);
});

Deno.test("block cache keys blocks by file number and offset", () => {
  const cache = new BlockCache({ capacityBytes: 10 * CHARGE });
  const first = block(1000);
  const second = block(1000);
  cache.set(1, 4096, first);
  cache.set(2, 4096, second);
  assert.equal(cache.get(1, 4096), first);
  assert.equal(cache.get(2, 4096), second);
  assert.equal(cache.get(1, 0), undefined);
});

Deno.test("block cache evicts the least recently used block at capacity", () => {
  const cache = new BlockCache({ capacityBytes: 3 * CHARGE });
  cache.set(1, 0, block(1000));
  cache.set(1, 1, block(1000));
  cache.set(1, 2, block(1000));
  assert.ok(cache.get(1, 0) !== undefined);
  cache.set(1, 3, block(1000));
  assert.equal(cache.get(1, 1), undefined);
  assert.ok(cache.get(1, 0) !== undefined);
  assert.ok(cache.get(1, 2) !== undefined);
  assert.ok(cache.get(1, 3) !== undefined);
  assert.ok(cache.stats().sizeBytes <= 3 * CHARGE);
});

Deno.test("block cache stays within capacity under churn", () => {
  const capacityBytes = 50_000;
  const cache = new BlockCache({ capacityBytes });
  for (let i = 0; i < 2000; i++) {
    cache.set(i % 7, i, block(100 + (i * 37) % 3000));
    assert.ok(cache.stats().sizeBytes <= capacityBytes);
  }
  assert.ok(cache.stats().blockCount > 5);
});

Deno.test("block cache skips a block larger than its capacity", () => {
  const cache = new BlockCache({ capacityBytes: 500 });
  cache.set(1, 0, block(1000));
  assert.equal(cache.get(1, 0), undefined);
  assert.equal(cache.stats().blockCount, 0);
});

Deno.test("block cache evicts blocks to make room for pinned bytes", () => {
  const cache = new BlockCache({ capacityBytes: 4 * CHARGE });
  for (let offset = 0; offset < 4; offset++) cache.set(1, offset, block(1000));
  assert.equal(cache.stats().blockCount, 4);
  cache.pin(CHARGE + 1);
  assert.equal(cache.stats().blockCount, 2);
  assert.equal(cache.get(1, 0), undefined);
  assert.ok(cache.get(1, 3) !== undefined);
  assert.equal(cache.stats().pinnedBytes, CHARGE + 1);
  assert.equal(cache.stats().sizeBytes, 3 * CHARGE + 1);
  assert.equal(cache.stats().evictions, 2);
});

Deno.test("block cache keeps blocks and pinned bytes within capacity", () => {
  const capacityBytes = 10 * CHARGE;
  const cache = new BlockCache({ capacityBytes });
  cache.pin(8 * CHARGE);
  for (let offset = 0; offset < 20; offset++) {
    cache.set(2, offset, block(1000));
    assert.ok(cache.stats().sizeBytes <= capacityBytes);
  }
  assert.equal(cache.stats().blockCount, 2);
  cache.unpin(8 * CHARGE);
  assert.equal(cache.stats().pinnedBytes, 0);
  for (let offset = 20; offset < 40; offset++) cache.set(2, offset, block(1000));
  assert.equal(cache.stats().blockCount, 10);
});

Deno.test("block cache skips a block larger than the unpinned room", () => {
  const cache = new BlockCache({ capacityBytes: 2 * CHARGE });
  cache.pin(CHARGE + 1);
  cache.set(1, 0, block(1000));
  assert.equal(cache.stats().blockCount, 0);
  assert.equal(cache.stats().sizeBytes, CHARGE + 1);
});

Deno.test("block cache leaves a miss uncounted on request", () => {
  const cache = new BlockCache({ capacityBytes: 10 * CHARGE });
  assert.equal(cache.get(1, 0, false), undefined);
  assert.equal(cache.stats().misses, 0);
  cache.set(1, 0, block(1000));
  assert.ok(cache.get(1, 0, false) !== undefined);
  assert.equal(cache.stats().hits, 1);
});

Deno.test("block cache keeps large file numbers and offsets apart", () => {
  const cache = new BlockCache({ capacityBytes: 1 << 20 });
  // As numbers, (1, 2^32) and (2, 0) would share a key; such blocks get string keys instead.
  const cases: Array<[number, number]> = [[1, 2 ** 32], [2, 0], [2 ** 21, 0], [0, 0], [2 ** 21, 7]];
  const blocks = cases.map((_, index) => block(100 + index));
  cases.forEach(([fileNumber, offset], index) => cache.set(fileNumber, offset, blocks[index]!));
  cases.forEach(([fileNumber, offset], index) => {
    assert.equal(cache.get(fileNumber, offset), blocks[index], `block ${fileNumber}:${offset}`);
  });
});
