/**
 * Tests of the memtable: version order, snapshot reads, cursors that survive inserts, and a key
 * filter that never changes a lookup's result.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import {
  mapKey,
  Memtable,
  MEMTABLE_ENTRY_OVERHEAD_BYTES,
  MEMTABLE_KEY_OVERHEAD_BYTES,
} from "./memtable.ts";
import { bloomHash } from "./bloom_filter.ts";
import { loadHasher } from "./sstable_format.ts";

const key = (...values: number[]) => new Uint8Array(values);

function put(userKey: Uint8Array, sequence: number, value: number): InternalEntry {
  return { userKey, sequence, kind: EntryKind.Put, value: new Uint8Array([value]) };
}

function tombstone(userKey: Uint8Array, sequence: number): InternalEntry {
  return { userKey, sequence, kind: EntryKind.Delete, value: new Uint8Array(0) };
}

Deno.test("memtable returns newest version at a sequence", () => {
  const memtable = new Memtable();
  memtable.add(put(key(1), 1, 10));
  memtable.add(put(key(1), 5, 50));
  memtable.add(tombstone(key(1), 9));
  assert.equal(memtable.get(key(1), 0), undefined);
  assert.deepEqual(memtable.get(key(1), 4)?.value, new Uint8Array([10]));
  assert.deepEqual(memtable.get(key(1), 5)?.value, new Uint8Array([50]));
  assert.equal(memtable.get(key(1), 9)?.kind, EntryKind.Delete);
  assert.equal(memtable.get(key(2), 9), undefined);
  assert.equal(memtable.get(key(1, 0), 9), undefined);
});

Deno.test("memtable accounts size per version", () => {
  const memtable = new Memtable();
  memtable.add(put(key(1, 2, 3), 1, 10));
  const firstVersionBytes = 3 + 1 + MEMTABLE_ENTRY_OVERHEAD_BYTES + MEMTABLE_KEY_OVERHEAD_BYTES;
  assert.equal(memtable.sizeBytes, firstVersionBytes);
  assert.equal(memtable.entryCount, 1);
  // A second version of the same key adds no map entry.
  memtable.add(put(key(1, 2, 3), 2, 11));
  assert.equal(memtable.sizeBytes, firstVersionBytes + 3 + 1 + MEMTABLE_ENTRY_OVERHEAD_BYTES);
});

Deno.test("memtable get matches a scan of all versions", () => {
  const memtable = new Memtable();
  const inserted: InternalEntry[] = [];
  let seed = 7;
  const random = (limit: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % limit;
  };
  for (let sequence = 1; sequence <= 2000; sequence++) {
    const entry = random(5) === 0
      ? { userKey: key(random(40)), sequence, kind: EntryKind.Delete, value: new Uint8Array(0) }
      : put(key(random(40)), sequence, random(256));
    inserted.push(entry);
    memtable.add(entry);
  }
  // Probes at random points and just around every version, where an off-by-one would show.
  const probes = inserted.flatMap((entry) =>
    [-1, 0, 1].map((offset) => ({ userKey: entry.userKey, sequence: entry.sequence + offset }))
  );
  for (let index = 0; index < 2000; index++) {
    probes.push({ userKey: key(random(45)), sequence: random(2100) });
  }
  for (const { userKey, sequence } of probes) {
    const expected = inserted
      .filter((entry) => entry.userKey[0] === userKey[0] && entry.sequence <= sequence)
      .at(-1);
    assert.deepEqual(memtable.get(userKey, sequence), expected, `key ${userKey[0]} at ${sequence}`);
  }
});

Deno.test("memtable rejects inserts once frozen", () => {
  const memtable = new Memtable();
  memtable.freeze();
  assert.throws(() => memtable.add(put(key(1), 1, 1)), /frozen/);
});

Deno.test("memtable iterates in internal order both ways", () => {
  const memtable = new Memtable();
  const inserted: InternalEntry[] = [];
  for (let index = 0; index < 400; index++) {
    const entry = put(key(index % 37, index % 3), index + 1, index % 251);
    inserted.push(entry);
    memtable.add(entry);
  }
  const sorted = inserted.slice().sort((a, b) => {
    for (let i = 0; i < 2; i++) {
      const difference = a.userKey[i]! - b.userKey[i]!;
      if (difference !== 0) return difference;
    }
    return b.sequence - a.sequence;
  });
  assert.deepEqual(
    [...memtable.entries()].map((entry) => entry.sequence),
    sorted.map((e) => e.sequence),
  );
  assert.deepEqual(
    [...memtable.entries({ reverse: true })].map((entry) => entry.sequence),
    sorted.map((e) => e.sequence).reverse(),
  );
  const fromTen = [...memtable.entries({ start: key(10), end: key(11) })];
  assert.deepEqual(fromTen[0]?.userKey, key(10, 0));
  assert.deepEqual(fromTen[fromTen.length - 1]?.userKey, key(10, 2));
  const belowTen = [...memtable.entries({ start: key(9, 1), end: key(10), reverse: true })];
  assert.deepEqual(belowTen[0]?.userKey, key(9, 2));
  assert.deepEqual(belowTen[belowTen.length - 1]?.userKey, key(9, 1));
});

Deno.test("memtable cursor survives inserts between chunks", () => {
  const memtable = new Memtable();
  for (let index = 0; index < 1000; index++) {
    memtable.add(put(key(index >> 8, index & 255), index + 1, 0));
  }
  const seen: number[] = [];
  let extraSequence = 5000;
  for (const entry of memtable.entries()) {
    seen.push(entry.sequence);
    if (seen.length % 100 === 0) memtable.add(put(key(0, 0, seen.length), extraSequence++, 1));
  }
  const original = seen.filter((sequence) => sequence <= 1000);
  assert.equal(original.length, 1000);
  assert.equal(new Set(seen).size, seen.length);
});

Deno.test("memtable key filter changes no lookup result", async () => {
  const hasher = await loadHasher();
  // Sized for few entries, so the filter overfills and false positives occur too.
  const filtered = new Memtable({ hasher, expectedSizeBytes: 20 * MEMTABLE_ENTRY_OVERHEAD_BYTES });
  const plain = new Memtable();
  for (let index = 0; index < 600; index++) {
    const entry = index % 5 === 0
      ? tombstone(key(index % 97, index % 7), index + 1)
      : put(key(index % 97, index % 7), index + 1, index % 251);
    filtered.add(entry);
    plain.add(entry);
  }
  for (let first = 0; first < 120; first++) {
    for (let second = 0; second < 8; second++) {
      for (const sequence of [0, 300, 600]) {
        const probe = key(first, second);
        const hash = bloomHash(hasher, probe);
        assert.deepEqual(filtered.get(probe, sequence, hash), plain.get(probe, sequence));
        assert.deepEqual(filtered.get(probe, sequence), plain.get(probe, sequence));
      }
    }
  }
});

Deno.test("memtable counts its key filter in its size", async () => {
  const hasher = await loadHasher();
  const expectedSizeBytes = 1000 * MEMTABLE_ENTRY_OVERHEAD_BYTES;
  const memtable = new Memtable({ hasher, expectedSizeBytes });
  // Ten bits for each of the at most 1000 entries that fit.
  assert.equal(memtable.sizeBytes, 1250);
  memtable.add(put(key(1, 2, 3), 1, 10));
  assert.equal(
    memtable.sizeBytes,
    1250 + 3 + 1 + MEMTABLE_ENTRY_OVERHEAD_BYTES + MEMTABLE_KEY_OVERHEAD_BYTES,
  );
});

Deno.test("memtable get is right for keys sharing a map hash", () => {
  // Find two keys whose 32-bit FNV map keys collide (a memtable without a hasher uses FNV).
  const seen = new Map<number, Uint8Array>();
  let pair: [Uint8Array, Uint8Array] | undefined;
  // 32-bit hashes of random 8-byte keys collide after about 80,000 keys (the birthday bound).
  let state = 12345;
  for (let index = 0; pair === undefined && index < 2_000_000; index++) {
    const words = new Uint32Array(2);
    for (let word = 0; word < 2; word++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      words[word] = state;
    }
    const candidate = new Uint8Array(words.buffer);
    const hash = mapKey(candidate, undefined);
    const earlier = seen.get(hash);
    if (earlier !== undefined) pair = [earlier, candidate];
    seen.set(hash, candidate);
  }
  assert.ok(pair, "found two keys with one map hash");
  const [first, second] = pair;
  const memtable = new Memtable();
  memtable.add(put(first, 1, 10));
  assert.equal(memtable.get(second, 9), undefined, "the other key is absent");
  memtable.add(put(second, 2, 20));
  memtable.add(put(first, 3, 30));
  memtable.add(tombstone(second, 4));
  assert.deepEqual(memtable.get(first, 9)?.value, new Uint8Array([30]));
  assert.deepEqual(memtable.get(first, 2)?.value, new Uint8Array([10]));
  assert.equal(memtable.get(second, 9)?.kind, EntryKind.Delete);
  assert.deepEqual(memtable.get(second, 3)?.value, new Uint8Array([20]));
  assert.equal(memtable.get(second, 1), undefined);
});
