/**
 * Tests of the bloom filter: no false negatives for any generated key set (fast-check), an
 * empirical false positive rate near the 1% design point, decoding of malformed filters, and the
 * same rates for the mutable filter that memtables use.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BloomFilter,
  BloomFilterBuilder,
  bloomHash,
  MAX_PROBE_COUNT,
  MutableBloomFilter,
  probeCountFor,
} from "./bloom_filter.ts";
import { loadHasher } from "./sstable_format.ts";

const hasher = await loadHasher();
const encoder = new TextEncoder();

function buildFilter(keys: readonly Uint8Array[], bitsPerKey?: number): BloomFilter {
  const builder = new BloomFilterBuilder(hasher, bitsPerKey);
  for (const key of keys) builder.addKey(key);
  const filter = BloomFilter.decode(hasher, builder.finish());
  assert.ok(filter !== undefined);
  return filter;
}

Deno.test("bloom filter has no false negatives", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300 }),
      fc.integer({ min: 1, max: 20 }),
      (keys, bitsPerKey) => {
        const filter = buildFilter(keys, bitsPerKey);
        for (const key of keys) assert.ok(filter.mayContain(key));
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("bloom filter false positive rate is about 1% at 10 bits per key", () => {
  const keyCount = 20_000;
  const keys = Array.from({ length: keyCount }, (_, i) => encoder.encode(`user-${i}`));
  const filter = buildFilter(keys);
  assert.equal(filter.sizeBytes, keyCount * 10 / 8);
  const probeCount = 50_000;
  let falsePositives = 0;
  for (let i = 0; i < probeCount; i++) {
    if (filter.mayContain(encoder.encode(`absent-${i}`))) falsePositives++;
  }
  const rate = falsePositives / probeCount;
  // Theory for m/n = 10 and k = 7: (1 - e^(-0.7))^7, about 0.82%.
  assert.ok(rate < 0.015, `false positive rate ${rate}`);
  assert.ok(rate > 0.003, `false positive rate ${rate} is implausibly low`);
});

Deno.test("bloom filter false positive rate falls with more bits per key", () => {
  const keys = Array.from({ length: 5000 }, (_, i) => encoder.encode(`k${i}`));
  const rateFor = (bitsPerKey: number): number => {
    const filter = buildFilter(keys, bitsPerKey);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mayContain(encoder.encode(`m${i}`))) hits++;
    return hits / 20_000;
  };
  const rate4 = rateFor(4);
  const rate16 = rateFor(16);
  assert.ok(rate4 > 0.08, `rate at 4 bits ${rate4}`);
  assert.ok(rate4 < 0.25, `rate at 4 bits ${rate4}`);
  assert.ok(rate16 < 0.003, `rate at 16 bits ${rate16}`);
});

Deno.test("bloom filter probes follow the documented double hashing", () => {
  const key = encoder.encode("apple");
  const filter = buildFilter([key]);
  const { low, high } = bloomHash(hasher, key);
  const hash = hasher.h64Raw(key, 0n);
  assert.equal(low, Number(hash & 0xffffffffn));
  assert.equal(high, Number(hash >> 32n));
  // A single key in the minimum 64-bit filter sets exactly its probe bits.
  const builder = new BloomFilterBuilder(hasher);
  builder.addKey(key);
  const bytes = builder.finish();
  assert.equal(bytes.length, 9);
  assert.equal(bytes[8], 7);
  const expected = new Uint8Array(8);
  for (let i = 0; i < 7; i++) {
    const position = ((low + i * high) % 2 ** 32) % 64;
    expected[position >> 3]! |= 1 << (position & 7);
  }
  assert.deepEqual(bytes.subarray(0, 8), expected);
  assert.ok(filter.mayContain(key));
});

Deno.test("bloom filter probe count is round(bits times ln 2)", () => {
  assert.equal(probeCountFor(10), 7);
  assert.equal(probeCountFor(1), 1);
  assert.equal(probeCountFor(64), MAX_PROBE_COUNT);
});

Deno.test("bloom filter decode rejects malformed contents", () => {
  assert.equal(BloomFilter.decode(hasher, new Uint8Array()), undefined);
  assert.equal(BloomFilter.decode(hasher, Uint8Array.of(7)), undefined);
  assert.equal(BloomFilter.decode(hasher, Uint8Array.of(0xff, 0)), undefined);
  assert.equal(BloomFilter.decode(hasher, Uint8Array.of(0xff, MAX_PROBE_COUNT + 1)), undefined);
  assert.ok(BloomFilter.decode(hasher, Uint8Array.of(0xff, 1)) !== undefined);
});

Deno.test("mutable bloom filter matches the built filter's rates", () => {
  const filter = new MutableBloomFilter(10_000);
  assert.equal(filter.sizeBytes, 12_500);
  for (let i = 0; i < 10_000; i++) filter.addHash(bloomHash(hasher, encoder.encode(`k${i}`)));
  for (let i = 0; i < 10_000; i++) {
    assert.ok(filter.mayContainHash(bloomHash(hasher, encoder.encode(`k${i}`))), `k${i}`);
  }
  let falsePositives = 0;
  for (let i = 0; i < 20_000; i++) {
    if (filter.mayContainHash(bloomHash(hasher, encoder.encode(`m${i}`)))) falsePositives++;
  }
  assert.ok(falsePositives < 20_000 * 0.015, `${falsePositives} false positives`);
});
