/**
 * Tests of size-tiered compaction. Picking is checked on hand-made size lists. Merging is checked
 * against a model with fast-check. Random tables are split into compaction inputs and tables left
 * out, and every snapshot at or above the oldest one must read the same data before and after
 * the compaction. Pacing runs on a simulated clock.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { compareKeys, type Entry } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry } from "./internal_key.ts";
import {
  bucketTables,
  type CompactionOptions,
  type CompactionPacer,
  pickCompaction,
  pickSizeAmplificationCompaction,
  runCompaction,
  tombstoneDropPredicate,
} from "./compaction.ts";
import { mergeVisible } from "./merge_iterator.ts";
import { SstableWriter } from "./sstable_writer.ts";
import { SstableReader } from "./sstable_reader.ts";
import { MemoryReadableFile, MemoryWritableFile } from "./testing/table_files.ts";

const MIB = 1024 * 1024;

function sized(...sizesMib: number[]): { name: string; sizeBytes: number }[] {
  return sizesMib.map((size, i) => ({ name: `t${i}`, sizeBytes: Math.round(size * MIB) }));
}

Deno.test("compaction picks nothing below the threshold", () => {
  assert.equal(pickCompaction(sized(10, 11, 12)), undefined);
  assert.equal(pickCompaction([]), undefined);
});

Deno.test("compaction picks four tables of similar size", () => {
  const picked = pickCompaction(sized(100, 10, 11, 9, 12, 1000));
  assert.deepEqual(picked?.map((table) => table.name), ["t3", "t1", "t2", "t4"]);
});

Deno.test("compaction does not group tables of different tiers", () => {
  const buckets = bucketTables(sized(10, 10, 40, 40, 160, 160));
  assert.deepEqual(buckets.map((bucket) => bucket.length), [2, 2, 2]);
  assert.equal(pickCompaction(sized(10, 10, 40, 40, 160, 160)), undefined);
});

Deno.test("compaction groups all small tables together", () => {
  const buckets = bucketTables(sized(0.01, 0.5, 1, 3.9, 50));
  assert.deepEqual(buckets.map((bucket) => bucket.length), [4, 1]);
  assert.equal(pickCompaction(sized(0.01, 0.5, 1, 3.9, 50))?.length, 4);
});

Deno.test("compaction prefers the bucket of smallest tables", () => {
  const picked = pickCompaction(sized(100, 100, 100, 100, 10, 10, 10, 10));
  assert.deepEqual(picked?.map((table) => table.sizeBytes), Array(4).fill(10 * MIB));
});

Deno.test("compaction merges at most maxThreshold tables, smallest first", () => {
  const sizes = Array.from({ length: 40 }, (_, i) => 10 + i * 0.1);
  const picked = pickCompaction(sized(...sizes));
  assert.equal(picked?.length, 32);
  assert.equal(picked?.[0]?.sizeBytes, 10 * MIB);
  const custom = pickCompaction(sized(...sizes), { maxThreshold: 8, minThreshold: 3 });
  assert.equal(custom?.length, 8);
});

Deno.test("compaction bucket bounds follow bucketLow and bucketHigh", () => {
  // 10, 14 average 12; 17 is within 1.5 x 12, and 27 is above 1.5 x 13.67.
  const buckets = bucketTables(sized(10, 14, 17, 27), { minTableSizeBytes: 0 });
  assert.deepEqual(buckets.map((bucket) => bucket.length), [3, 1]);
  const narrow = bucketTables(sized(10, 14, 17, 27), { minTableSizeBytes: 0, bucketHigh: 1.2 });
  assert.deepEqual(narrow.map((bucket) => bucket.length), [1, 1, 1, 1]);
});

Deno.test("space rule picks nothing for one table", () => {
  assert.equal(pickSizeAmplificationCompaction(sized(100), 0), undefined);
  assert.equal(pickSizeAmplificationCompaction(sized(), 0), undefined);
});

Deno.test("space rule merges all once others outgrow the largest", () => {
  // Others hold 60 MiB against a largest of 100 MiB: 60% amplification.
  const tables = sized(100, 30, 20, 10);
  assert.equal(pickSizeAmplificationCompaction(tables, 60), undefined);
  const picked = pickSizeAmplificationCompaction(tables, 59);
  assert.deepEqual(picked, tables);
});

Deno.test("space rule merges tables of different sizes", () => {
  // Size-tiered picking finds four tiers of one table each and picks nothing.
  const tables = sized(64, 16, 4.5, 1);
  assert.equal(pickCompaction(tables), undefined);
  assert.equal(pickSizeAmplificationCompaction(tables, 100), undefined);
  assert.equal(pickSizeAmplificationCompaction(tables, 30)?.length, 4);
});

Deno.test("space rule measures against the largest, not the oldest", () => {
  const tables = sized(1, 1, 10, 1);
  assert.equal(pickSizeAmplificationCompaction(tables, 30), undefined);
  assert.equal(pickSizeAmplificationCompaction(tables, 29)?.length, 4);
});

async function writeReader(entries: readonly InternalEntry[]): Promise<SstableReader> {
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file, { blockSizeBytes: 64, restartInterval: 3 });
  for (const entry of entries) await writer.add(entry);
  await writer.finish();
  return SstableReader.open(new MemoryReadableFile(file.bytes()));
}

/** Collects outputs written by a compaction and reopens them as readers. */
class OutputCollector {
  readonly files = new Map<number, MemoryWritableFile>();
  #nextFileNumber = 100;

  openOutput = (): Promise<{ file: MemoryWritableFile; fileNumber: number }> => {
    const file = new MemoryWritableFile();
    const fileNumber = this.#nextFileNumber++;
    this.files.set(fileNumber, file);
    return Promise.resolve({ file, fileNumber });
  };

  async readers(): Promise<SstableReader[]> {
    const result: SstableReader[] = [];
    for (const file of this.files.values()) {
      result.push(await SstableReader.open(new MemoryReadableFile(file.bytes())));
    }
    return result;
  }
}

const noWaitPacer: CompactionPacer = { now: () => 0, sleep: () => Promise.resolve() };

async function compact(
  inputs: SstableReader[],
  options: Partial<CompactionOptions> = {},
): Promise<{ outputs: SstableReader[]; collector: OutputCollector }> {
  const collector = new OutputCollector();
  await runCompaction({
    inputs,
    openOutput: collector.openOutput,
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: Number.MAX_SAFE_INTEGER,
    pacer: noWaitPacer,
    ...options,
  });
  return { outputs: await collector.readers(), collector };
}

async function visibleAt(tables: readonly SstableReader[], snapshot: number): Promise<Entry[]> {
  const result: Entry[] = [];
  const sources = tables.map((table) => table.scan());
  for await (const entry of mergeVisible(sources, { snapshotSequence: snapshot })) {
    result.push(entry);
  }
  return result;
}

const userKeyArbitrary = fc.uint8Array({ minLength: 1, maxLength: 2, min: 0x61, max: 0x64 });

/** Versions with globally unique sequences, dealt into tables, each flagged as input or not. */
const scenarioArbitrary = fc.record({
  versions: fc.array(
    fc.record({
      userKey: userKeyArbitrary,
      kind: fc.constantFrom(EntryKind.Put, EntryKind.Delete),
      value: fc.uint8Array({ maxLength: 3 }),
      table: fc.integer({ min: 0, max: 4 }),
    }),
    { minLength: 1, maxLength: 60, size: "max" },
  ),
  isInput: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  /** Oldest snapshot as a percentage of the newest sequence; above 100 means no snapshot. */
  oldestSnapshotPercent: fc.oneof(
    fc.constantFrom(50, 80, 100, 120),
    fc.integer({ min: 0, max: 120 }),
  ),
  targetFileSizeBytes: fc.integer({ min: 1, max: 400 }),
});

Deno.test("compaction preserves every snapshot at or above the oldest", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      const tables: InternalEntry[][] = [[], [], [], [], []];
      scenario.versions.forEach((version, i) => {
        tables[version.table]!.push({
          userKey: version.userKey,
          sequence: i + 1,
          kind: version.kind,
          value: version.kind === EntryKind.Put ? version.value : new Uint8Array(),
        });
      });
      const inputs: SstableReader[] = [];
      const others: SstableReader[] = [];
      for (let i = 0; i < tables.length; i++) {
        const entries = tables[i]!.sort(compareInternal);
        if (entries.length === 0) continue;
        (scenario.isInput[i] ? inputs : others).push(await writeReader(entries));
      }
      if (inputs.length === 0) return;

      const maxSequence = scenario.versions.length;
      const oldest = Math.floor(scenario.oldestSnapshotPercent / 100 * maxSequence);
      const { outputs } = await compact(inputs, {
        oldestSnapshotSequence: oldest,
        canDropTombstone: tombstoneDropPredicate(others),
        targetFileSizeBytes: scenario.targetFileSizeBytes,
      });

      for (let snapshot = oldest; snapshot <= maxSequence + 1; snapshot++) {
        const before = await visibleAt([...inputs, ...others], snapshot);
        const after = await visibleAt([...outputs, ...others], snapshot);
        assert.deepEqual(after, before, `snapshot ${snapshot}, oldest ${oldest}`);
      }
      await checkOutputsDropGarbage(outputs, oldest, others.length === 0);
    }),
    { numRuns: 150 },
  );
});

/**
 * Checks that outputs keep at most one version per key at or below the oldest snapshot, no
 * tombstone there when nothing lies beneath, and disjoint key ranges.
 */
async function checkOutputsDropGarbage(
  outputs: readonly SstableReader[],
  oldest: number,
  nothingBeneath: boolean,
): Promise<void> {
  const all: InternalEntry[] = [];
  for (const output of outputs) {
    for await (const entry of output.scan()) all.push(entry);
  }
  for (let i = 1; i < all.length; i++) {
    const previous = all[i - 1]!;
    const entry = all[i]!;
    assert.ok(compareInternal(previous, entry) < 0, "outputs are ordered and disjoint");
    const sameKey = compareKeys(previous.userKey, entry.userKey) === 0;
    if (sameKey) {
      assert.ok(previous.sequence > oldest, `version ${entry.sequence} is shadowed but survived`);
    }
  }
  if (nothingBeneath) {
    for (const entry of all) {
      const hidden = entry.kind === EntryKind.Delete && entry.sequence <= oldest;
      assert.ok(!hidden, `tombstone at sequence ${entry.sequence} survived`);
    }
  }
}

function put(key: string, sequence: number, value = "v"): InternalEntry {
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

Deno.test("compaction keeps a tombstone over an older table", async () => {
  const older = await writeReader([put("k", 1, "old")]);
  const input = await writeReader([tombstone("k", 5), put("z", 6)]);
  const { outputs } = await compact([input], {
    oldestSnapshotSequence: 10,
    canDropTombstone: tombstoneDropPredicate([older]),
  });
  const kept = [];
  for await (const entry of outputs[0]!.scan()) kept.push(entry);
  assert.equal(kept.length, 2);
  assert.equal(kept[0]!.kind, EntryKind.Delete);
  assert.deepEqual(await visibleAt([...outputs, older], 10), await visibleAt([input, older], 10));
});

Deno.test("compaction drops a tombstone with nothing beneath", async () => {
  const inputs = [
    await writeReader([put("k", 1, "old"), put("m", 2)]),
    await writeReader([tombstone("k", 5)]),
  ];
  const collector = new OutputCollector();
  const result = await runCompaction({
    inputs,
    openOutput: collector.openOutput,
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: 10,
    canDropTombstone: tombstoneDropPredicate([]),
    pacer: noWaitPacer,
  });
  assert.equal(result.inputEntryCount, 3);
  assert.equal(result.outputEntryCount, 1);
  assert.equal(result.droppedTombstoneCount, 1);
  assert.equal(result.droppedShadowedCount, 1);
  assert.equal(result.outputs.length, 1);
  assert.equal(result.outputs[0]!.properties.tombstoneCount, 0);
});

Deno.test("compaction writes no table when everything is dropped", async () => {
  const inputs = [await writeReader([tombstone("a", 3), put("a", 2), put("a", 1)])];
  const collector = new OutputCollector();
  const result = await runCompaction({
    inputs,
    openOutput: collector.openOutput,
    targetFileSizeBytes: 1000,
    oldestSnapshotSequence: 3,
    canDropTombstone: () => true,
    pacer: noWaitPacer,
  });
  assert.deepEqual(result.outputs, []);
  assert.equal(collector.files.size, 0);
  assert.equal(result.outputBytes, 0);
});

Deno.test("compaction keeps versions a live snapshot reads", async () => {
  const inputs = [
    await writeReader([put("a", 30, "new"), put("a", 20, "mid"), put("a", 10, "old")]),
  ];
  const { outputs } = await compact(inputs, { oldestSnapshotSequence: 25 });
  const sequences = [];
  for await (const entry of outputs[0]!.scan()) sequences.push(entry.sequence);
  // Snapshot 25 reads sequence 20; sequence 10 is hidden from every snapshot.
  assert.deepEqual(sequences, [30, 20]);
});

function numbered(count: number, firstSequence: number): InternalEntry[] {
  return Array.from(
    { length: count },
    (_, i) => put(`key${String(i).padStart(5, "0")}`, firstSequence + i, "x".repeat(40)),
  );
}

Deno.test("compaction splits outputs at the target size on key boundaries", async () => {
  const older = numbered(400, 1);
  const newer = numbered(400, 1000);
  const inputs = [await writeReader(older), await writeReader(newer)];
  const collector = new OutputCollector();
  const result = await runCompaction({
    inputs,
    openOutput: collector.openOutput,
    targetFileSizeBytes: 4096,
    oldestSnapshotSequence: 0,
    pacer: noWaitPacer,
  });
  assert.ok(result.outputs.length >= 5, `${result.outputs.length} outputs`);
  for (let i = 1; i < result.outputs.length; i++) {
    const previousLargest = result.outputs[i - 1]!.properties.largest.userKey;
    const smallest = result.outputs[i]!.properties.smallest.userKey;
    assert.ok(compareKeys(previousLargest, smallest) < 0, `outputs ${i - 1} and ${i} overlap`);
  }
  for (const output of result.outputs.slice(0, -1)) {
    assert.ok(output.properties.fileSizeBytes >= 4096);
    assert.ok(output.properties.fileSizeBytes < 4096 + 2048);
  }
  assert.equal(result.outputEntryCount, 800);
  for (const file of collector.files.values()) assert.ok(file.closed);
});

/** A pacer whose clock only moves when the compaction sleeps. */
class SimulatedPacer implements CompactionPacer {
  nowMs = 0;
  sleepCount = 0;
  now(): number {
    return this.nowMs;
  }
  sleep(durationMs: number): Promise<void> {
    this.sleepCount++;
    this.nowMs += durationMs;
    return Promise.resolve();
  }
}

Deno.test("compaction rate limit paces written bytes", async () => {
  const inputs = [await writeReader(numbered(2000, 1))];
  const pacer = new SimulatedPacer();
  const rateLimitBytesPerSecond = 50_000;
  const result = await runCompaction({
    inputs,
    openOutput: new OutputCollector().openOutput,
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: 0,
    rateLimitBytesPerSecond,
    yieldEveryBytes: 4096,
    pacer,
  });
  const idealMs = result.outputBytes / rateLimitBytesPerSecond * 1000;
  // Pacing happens every 4 KiB of input, so the clock trails the ideal by at most one step.
  assert.ok(pacer.nowMs >= idealMs - 4096 / rateLimitBytesPerSecond * 1000 - 200);
  assert.ok(pacer.nowMs <= idealMs);
});

Deno.test("compaction yields to the event loop between chunks", async () => {
  const inputs = [await writeReader(numbered(1000, 1))];
  const pacer = new SimulatedPacer();
  await runCompaction({
    inputs,
    openOutput: new OutputCollector().openOutput,
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: 0,
    yieldEveryBytes: 1000,
    pacer,
  });
  // Each entry counts 8 key + 40 value + 8 header bytes = 56, so a yield follows every 18th
  // entry (1,008 bytes): 55 yields for 1,000 entries.
  assert.equal(pacer.sleepCount, 55);
  assert.equal(pacer.nowMs, 0);
});

Deno.test("compaction stops when aborted and closes its output", async () => {
  const inputs = [await writeReader(numbered(1000, 1))];
  const controller = new AbortController();
  const collector = new OutputCollector();
  const pacer: CompactionPacer = {
    now: () => 0,
    sleep: () => {
      controller.abort(new Error("engine closing"));
      return Promise.resolve();
    },
  };
  await assert.rejects(
    runCompaction({
      inputs,
      openOutput: collector.openOutput,
      targetFileSizeBytes: 1 << 20,
      oldestSnapshotSequence: 0,
      yieldEveryBytes: 1000,
      pacer,
      signal: controller.signal,
    }),
    /engine closing/,
  );
  assert.equal(collector.files.size, 1);
  for (const file of collector.files.values()) assert.ok(file.closed);
});

Deno.test("compaction with the real pacer runs to completion", async () => {
  const inputs = [await writeReader(numbered(300, 1)), await writeReader(numbered(300, 500))];
  const collector = new OutputCollector();
  const result = await runCompaction({
    inputs,
    openOutput: collector.openOutput,
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: 10_000,
    yieldEveryBytes: 2048,
  });
  assert.equal(result.outputEntryCount, 300);
  assert.equal(result.droppedShadowedCount, 300);
});

Deno.test("compaction calls pace with growing progress", async () => {
  const inputs = [await writeReader(numbered(1000, 1))];
  const pacer = new SimulatedPacer();
  const progress: { inputBytes: number; outputBytes: number }[] = [];
  const collector = new OutputCollector();
  const result = await runCompaction({
    inputs,
    openOutput: () =>
      collector.openOutput().then((output) => ({ ...output, fileName: "000100.sst" })),
    targetFileSizeBytes: 1 << 20,
    oldestSnapshotSequence: 0,
    yieldEveryBytes: 5600,
    pacer,
    pace: (report) => {
      progress.push(report);
      return Promise.resolve();
    },
  });
  // 56 bytes per entry: a report after every 100 entries, and no plain yields besides.
  assert.equal(progress.length, 10);
  assert.equal(pacer.sleepCount, 0);
  assert.equal(progress[0]!.inputBytes, 5600);
  assert.equal(progress[9]!.inputBytes, 56_000);
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i]!.outputBytes >= progress[i - 1]!.outputBytes);
  }
  assert.ok(progress[9]!.outputBytes <= result.outputBytes);
  assert.equal(result.outputs[0]!.fileName, "000100.sst");
});
