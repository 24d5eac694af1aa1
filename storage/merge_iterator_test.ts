/**
 * Tests of the merge iterator against brute-force models: fast-check generates several sorted
 * sources, some of them SSTables and some plain arrays. The raw merge must equal the sorted union
 * of all versions. The visible merge must equal, key by key, the newest version at or below the
 * snapshot, with tombstones hidden.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { compareKeys, type Entry } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry } from "./internal_key.ts";
import { type EntrySource, mergeRaw, mergeVisible, mergeVisibleSync } from "./merge_iterator.ts";
import { SstableWriter } from "./sstable_writer.ts";
import { SstableReader } from "./sstable_reader.ts";
import { AssertionError } from "../util/assert.ts";
import { MemoryReadableFile, MemoryWritableFile } from "./testing/table_files.ts";

const userKeyArbitrary = fc.uint8Array({ minLength: 0, maxLength: 3, min: 0x61, max: 0x63 });

const entryArbitrary: fc.Arbitrary<InternalEntry> = fc.record({
  userKey: userKeyArbitrary,
  sequence: fc.integer({ min: 1, max: 40 }),
  kind: fc.constantFrom(EntryKind.Put, EntryKind.Delete),
  value: fc.uint8Array({ maxLength: 4 }),
}).map((entry) => ({
  ...entry,
  value: entry.kind === EntryKind.Delete ? new Uint8Array() : entry.value,
}));

function versionId(entry: InternalEntry): string {
  return `${Array.from(entry.userKey).join(",")}@${entry.sequence}`;
}

const sourceArbitrary = fc.uniqueArray(entryArbitrary, {
  maxLength: 25,
  size: "max",
  selector: versionId,
})
  .map((entries) => entries.sort(compareInternal));

/** Sources plus, per source, whether it is read through an SSTable. */
const sourcesArbitrary = fc.array(fc.tuple(sourceArbitrary, fc.boolean()), {
  minLength: 0,
  maxLength: 5,
});

async function tableSource(
  entries: readonly InternalEntry[],
  reverse: boolean,
): Promise<EntrySource> {
  if (entries.length === 0) return [];
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file, { blockSizeBytes: 40, restartInterval: 2 });
  for (const entry of entries) await writer.add(entry);
  await writer.finish();
  const reader = await SstableReader.open(new MemoryReadableFile(file.bytes()));
  return reader.scan({ reverse });
}

async function buildSources(
  sources: readonly (readonly [InternalEntry[], boolean])[],
  reverse: boolean,
): Promise<EntrySource[]> {
  const result: EntrySource[] = [];
  for (const [entries, asTable] of sources) {
    if (asTable) result.push(await tableSource(entries, reverse));
    else result.push(reverse ? entries.slice().reverse() : entries);
  }
  return result;
}

/** Returns all versions sorted, keeping the earliest source's entry of a duplicate version. */
function modelRaw(sources: readonly (readonly [InternalEntry[], boolean])[]): InternalEntry[] {
  const byVersion = new Map<string, InternalEntry>();
  for (const [entries] of sources) {
    for (const entry of entries) {
      if (!byVersion.has(versionId(entry))) byVersion.set(versionId(entry), entry);
    }
  }
  return [...byVersion.values()].sort(compareInternal);
}

function modelVisible(all: readonly InternalEntry[], snapshotSequence: number): Entry[] {
  const result: Entry[] = [];
  let previousKey: Uint8Array | undefined;
  for (const entry of all) {
    if (entry.sequence > snapshotSequence) continue;
    if (previousKey !== undefined && compareKeys(previousKey, entry.userKey) === 0) continue;
    previousKey = entry.userKey;
    if (entry.kind === EntryKind.Put) result.push({ key: entry.userKey, value: entry.value });
  }
  return result;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of iterable) result.push(item);
  return result;
}

Deno.test("merge iterator raw mode yields every version in order", async () => {
  await fc.assert(
    fc.asyncProperty(sourcesArbitrary, fc.boolean(), async (sources, reverse) => {
      const expected = modelRaw(sources);
      const merged = await collect(mergeRaw(await buildSources(sources, reverse), { reverse }));
      assert.deepEqual(merged, reverse ? expected.reverse() : expected);
    }),
    { numRuns: 200 },
  );
});

Deno.test("merge iterator visible mode matches the snapshot model", async () => {
  await fc.assert(
    fc.asyncProperty(
      sourcesArbitrary,
      fc.boolean(),
      fc.integer({ min: 0, max: 45 }),
      async (sources, reverse, snapshotSequence) => {
        const expected = modelVisible(modelRaw(sources), snapshotSequence);
        const merged = await collect(
          mergeVisible(await buildSources(sources, reverse), { snapshotSequence, reverse }),
        );
        assert.deepEqual(merged, reverse ? expected.reverse() : expected);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("merge iterator sync visible mode matches the snapshot model", () => {
  fc.assert(
    fc.property(
      sourcesArbitrary,
      fc.boolean(),
      fc.integer({ min: 0, max: 45 }),
      (sources, reverse, snapshotSequence) => {
        const expected = modelVisible(modelRaw(sources), snapshotSequence);
        const arrays = sources.map(([entries]) => reverse ? entries.slice().reverse() : entries);
        const merged = [...mergeVisibleSync(arrays, { snapshotSequence, reverse })];
        assert.deepEqual(merged, reverse ? expected.reverse() : expected);
      },
    ),
    { numRuns: 300 },
  );
});

function put(key: string, sequence: number, value: string): InternalEntry {
  const encoder = new TextEncoder();
  return {
    userKey: encoder.encode(key),
    sequence,
    kind: EntryKind.Put,
    value: encoder.encode(value),
  };
}

function tombstone(key: string, sequence: number): InternalEntry {
  return { ...put(key, sequence, ""), kind: EntryKind.Delete };
}

function decode(entries: readonly Entry[]): string[] {
  const decoder = new TextDecoder();
  return entries.map((entry) => `${decoder.decode(entry.key)}=${decoder.decode(entry.value)}`);
}

Deno.test("merge iterator hides a key deleted in a newer source", async () => {
  const memtable = [tombstone("b", 9)];
  const table = [put("a", 1, "1"), put("b", 2, "2"), put("c", 3, "3")];
  const latest = await collect(mergeVisible([memtable, table], { snapshotSequence: 10 }));
  assert.deepEqual(decode(latest), ["a=1", "c=3"]);
  const before = await collect(mergeVisible([memtable, table], { snapshotSequence: 8 }));
  assert.deepEqual(decode(before), ["a=1", "b=2", "c=3"]);
});

Deno.test("merge iterator prefers the earlier source on duplicates", async () => {
  const first = [put("k", 5, "first")];
  const second = [put("k", 5, "second")];
  const merged = await collect(mergeRaw([first, second]));
  assert.equal(merged.length, 1);
  assert.equal(new TextDecoder().decode(merged[0]!.value), "first");
});

Deno.test("merge iterator asserts on an unsorted source", async () => {
  const unsorted = [put("b", 1, "x"), put("a", 2, "y")];
  await assert.rejects(collect(mergeRaw([unsorted])), AssertionError);
});

Deno.test("merge iterator closes sources when the consumer stops", async () => {
  let closed = 0;
  async function* source(): AsyncGenerator<InternalEntry> {
    try {
      yield put("a", 1, "1");
      yield put("b", 1, "2");
      yield put("c", 1, "3");
    } finally {
      closed++;
    }
  }
  for await (const _ of mergeVisible([source(), source()], { snapshotSequence: 5 })) break;
  assert.equal(closed, 2);
});
