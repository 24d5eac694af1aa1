/**
 * Tests of the engine's background work and failure behaviour on the simulated disk: flushes
 * retire WAL segments, compaction reclaims space and survives interruption, orphans are removed,
 * corruption is reported with file and offset, fsync failure poisons, a full disk recovers, and
 * write stalls are bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "./engine.ts";
import type { WritableFile } from "./file_system.ts";
import { type EngineOptions, LsmEngine } from "./lsm_engine.ts";
import { MEMTABLE_ENTRY_OVERHEAD_BYTES } from "./memtable.ts";
import { loadHasher } from "./sstable_format.ts";
import { SimulatedFileSystem } from "./testing/simulated_file_system.ts";
import { Logger } from "../util/logger.ts";

const DIRECTORY = "/data/storage";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (value: string) => encoder.encode(value);

/** Captures log lines as parsed objects. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function openSmall(
  fileSystem: SimulatedFileSystem,
  options: Partial<EngineOptions> = {},
): Promise<LsmEngine> {
  return LsmEngine.open({
    directory: DIRECTORY,
    fileSystem,
    statsLogIntervalMs: 0,
    memtableSizeBytes: 4096,
    backgroundRetryDelayMs: 5,
    ...options,
  });
}

/** Writes `count` puts of 100-byte values to keys `key0..key{keySpace-1}`, one batch each. */
async function fill(engine: LsmEngine, count: number, keySpace = count, tag = "v"): Promise<void> {
  for (let index = 0; index < count; index++) {
    const value = `${tag}${index}`.padEnd(100, ".");
    await engine.write([{ kind: "put", key: text(`key${index % keySpace}`), value: text(value) }]);
  }
}

async function tableFiles(fileSystem: SimulatedFileSystem): Promise<string[]> {
  return (await fileSystem.list(DIRECTORY)).filter((name) => name.endsWith(".sst")).sort();
}

Deno.test("flush retires WAL segments and serves reads from tables", async () => {
  const fileSystem = new SimulatedFileSystem();
  let engine = await openSmall(fileSystem, { compaction: { enabled: false } });
  await fill(engine, 300);
  await engine.waitForBackgroundWork();
  const stats = engine.stats();
  assert.ok((stats.flushes ?? 0) >= 5, `expected several flushes, got ${stats.flushes}`);
  assert.ok((stats.walSegments ?? 0) <= 3, `obsolete WAL segments remain: ${stats.walSegments}`);
  const logs = (await fileSystem.list(DIRECTORY)).filter((name) => name.endsWith(".log"));
  assert.equal(logs.length, stats.walSegments);
  await engine.close();

  engine = await openSmall(fileSystem, { compaction: { enabled: false } });
  assert.equal(engine.stats().tables, stats.tables);
  assert.equal(decoder.decode(await engine.get(text("key7"))).slice(0, 2), "v7");
  // Absent keys inside the tables' key ranges, so only a bloom filter can rule them out.
  for (let index = 0; index < 50; index++) {
    assert.equal(await engine.get(text(`key${index}x`)), undefined);
  }
  assert.ok((engine.stats().bloomFilterSkips ?? 0) > 0, "missing keys never hit a bloom filter");
  await engine.close();
});

Deno.test("compaction reclaims overwritten versions and tombstones", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem, { compaction: { minThreshold: 4 } });
  await fill(engine, 1200, 40);
  for (let index = 0; index < 20; index++) {
    await engine.write([{ kind: "delete", key: text(`key${index}`) }]);
  }
  await fill(engine, 200, 1, "x");
  await engine.waitForBackgroundWork();
  const stats = engine.stats();
  assert.ok((stats.compactions ?? 0) > 0, "no compaction ran");
  // Keys 20..39 keep their last value, and key0 was deleted and then written again.
  const liveBytes = 21 * (5 + 100);
  assert.ok(
    (stats.tableBytes ?? 0) < 6 * liveBytes + 4096,
    `tables hold ${stats.tableBytes} bytes for about ${liveBytes} live bytes`,
  );
  let count = 0;
  for await (const _ of engine.scan()) count++;
  assert.equal(count, 21);
  assert.equal(await engine.get(text("key3")), undefined);
  assert.equal(decoder.decode(await engine.get(text("key0"))).slice(0, 4), "x199");
  await engine.close();
});

Deno.test("open removes orphan tables and temporary files", async () => {
  const fileSystem = new SimulatedFileSystem();
  let engine = await openSmall(fileSystem);
  await fill(engine, 10);
  await engine.close();
  for (const name of ["000900.sst", "000901.tmp", "MANIFEST.tmp"]) {
    const file = await fileSystem.openWritable(`${DIRECTORY}/${name}`);
    await file.append(text("leftover"));
    await file.close();
  }
  const { logger, lines } = capturingLogger();
  engine = await openSmall(fileSystem, { logger });
  const names = await fileSystem.list(DIRECTORY);
  for (const name of ["000900.sst", "000901.tmp", "MANIFEST.tmp"]) {
    assert.ok(!names.includes(name), `${name} survived the open`);
  }
  assert.equal(lines.filter((line) => line.event === "storage.orphan_removed").length, 3);
  assert.equal(decoder.decode(await engine.get(text("key3"))).slice(0, 2), "v3");
  await engine.close();
});

/** A disk that loses power just before the `crashAtRename`-th manifest rename. */
class PowerLossAtManifestRename extends SimulatedFileSystem {
  renames = 0;
  crashAtRename = Infinity;
  restarted?: SimulatedFileSystem;

  override rename(from: string, to: string): Promise<void> {
    if (from.endsWith("MANIFEST.tmp") && ++this.renames === this.crashAtRename) {
      this.restarted = this.crash();
      return Promise.reject(new Error("simulated power loss before the manifest rename"));
    }
    return super.rename(from, to);
  }
}

Deno.test("interrupted compaction leaves data intact and resumes", async () => {
  const fileSystem = new PowerLossAtManifestRename();
  // Four flushes make four manifest edits; the fifth edit is the compaction's.
  fileSystem.crashAtRename = 5;
  const engine = await openSmall(fileSystem, { compaction: { minThreshold: 4 } });
  for (let batch = 0; batch < 5; batch++) {
    const operations = Array.from({ length: 30 }, (_, index) => ({
      kind: "put" as const,
      key: text(`key${index}`),
      value: text(`b${batch}`.padEnd(100, ".")),
    }));
    await engine.write(operations);
  }
  await engine.waitForBackgroundWork();
  assert.ok(fileSystem.restarted, "the compaction never reached its manifest edit");
  assert.equal(engine.stats().compactions, 0);
  await engine.close().catch(() => {});

  const restarted = fileSystem.restarted;
  const outputsBefore = await tableFiles(restarted);
  assert.equal(
    outputsBefore.length,
    5,
    "four flushed tables plus the unrecorded compaction output",
  );
  const { logger, lines } = capturingLogger();
  const reopened = await openSmall(restarted, { logger, compaction: { minThreshold: 4 } });
  await reopened.waitForBackgroundWork();
  assert.equal(lines.filter((line) => line.event === "storage.orphan_removed").length, 1);
  assert.equal(reopened.stats().compactions, 1);
  // The replayed fifth batch fills a memtable, so open flushes it: one table besides the output.
  const tablesAfter = await tableFiles(restarted);
  assert.ok(tablesAfter.length <= 2, `tables left: ${tablesAfter}`);
  assert.equal(tablesAfter.length, reopened.stats().tables);
  for (let index = 0; index < 30; index++) {
    assert.equal(decoder.decode(await reopened.get(text(`key${index}`))).slice(0, 2), "b4");
  }
  await reopened.close();
});

Deno.test("table bit flip fails reads with file and offset", async () => {
  const fileSystem = new SimulatedFileSystem();
  let engine = await openSmall(fileSystem, { compaction: { enabled: false } });
  await fill(engine, 100);
  await engine.waitForBackgroundWork();
  await engine.close();
  const [first] = await tableFiles(fileSystem);
  assert.ok(first);
  fileSystem.corrupt(`${DIRECTORY}/${first}`, 10);

  const { logger, lines } = capturingLogger();
  engine = await openSmall(fileSystem, { logger, compaction: { enabled: false } });
  let failure: unknown;
  try {
    for await (const _ of engine.scan()) { /* read every block */ }
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof StorageError, `expected a StorageError, got ${failure}`);
  assert.equal(failure.kind, "corruption");
  assert.equal(failure.file, `${DIRECTORY}/${first}`);
  assert.equal(typeof failure.offset, "number");
  const logged = lines.find((line) => line.event === "storage.corruption");
  assert.equal(logged?.file, `${DIRECTORY}/${first}`);
  assert.equal(logged?.offset, failure.offset);
  await engine.close();
});

Deno.test("WAL bit flip before valid records fails the open", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem, { memtableSizeBytes: 1 << 20 });
  await fill(engine, 20);
  await engine.close();
  const [log] = (await fileSystem.list(DIRECTORY)).filter((name) => name.endsWith(".log"));
  assert.ok(log);
  fileSystem.corrupt(`${DIRECTORY}/${log}`, 200);
  await assert.rejects(
    () => openSmall(fileSystem),
    (error: unknown) =>
      error instanceof StorageError && error.kind === "corruption" &&
      error.file === `${DIRECTORY}/${log}` && typeof error.offset === "number",
  );
});

Deno.test("table fsync failure poisons the engine", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem);
  fileSystem.failSyncs(/\.sst$/);
  await fill(engine, 60).catch(() => {});
  await engine.waitForBackgroundWork();
  assert.equal(engine.stats().poisoned, 1);
  await assert.rejects(
    () => engine.write([{ kind: "put", key: text("after"), value: text("x") }]),
    (error: unknown) => error instanceof StorageError && error.kind === "poisoned",
  );
  const syncs = fileSystem.syncCount;
  await engine.write([{ kind: "delete", key: text("after") }]).catch(() => {});
  assert.equal(fileSystem.syncCount, syncs, "a poisoned engine synced again");
  await engine.close();
});

Deno.test("full disk fails writes cleanly until space frees", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem);
  await fill(engine, 30);
  fileSystem.capacityBytes = fileSystem.usedBytes() + 3000;
  const failures: unknown[] = [];
  for (let index = 0; index < 100; index++) {
    await engine
      .write([{ kind: "put", key: text(`full${index}`), value: new Uint8Array(100) }])
      .catch((error) => failures.push(error));
  }
  assert.ok(failures.length > 0, "the disk never filled up");
  for (const failure of failures) {
    assert.ok(failure instanceof StorageError, `${failure}`);
    assert.equal(failure.kind, "no-space");
  }
  assert.equal(engine.stats().poisoned, 0);

  fileSystem.capacityBytes = undefined;
  await fill(engine, 200, 200, "w");
  await engine.waitForBackgroundWork();
  assert.equal(engine.stats().poisoned, 0);
  assert.equal(decoder.decode(await engine.get(text("key199"))).slice(0, 4), "w199");
  await engine.close();

  const reopened = await openSmall(fileSystem);
  assert.equal(decoder.decode(await reopened.get(text("key150"))).slice(0, 4), "w150");
  await reopened.close();
});

/** A disk whose table syncs wait until `release` is called. */
class SlowTableDisk extends SimulatedFileSystem {
  #gate = Promise.withResolvers<void>();

  release(): void {
    this.#gate.resolve();
  }

  override async openWritable(path: string, options?: { truncate?: boolean }) {
    const file = await super.openWritable(path, options);
    if (!path.endsWith(".sst")) return file;
    const gate = () => this.#gate.promise;
    const slow: WritableFile = {
      get sizeBytes() {
        return file.sizeBytes;
      },
      append: (data) => file.append(data),
      sync: async () => {
        await gate();
        await file.sync();
      },
      truncate: (sizeBytes) => file.truncate(sizeBytes),
      close: () => file.close(),
    };
    return slow;
  }
}

Deno.test("write stall is bounded and clears after flush", async () => {
  const fileSystem = new SlowTableDisk();
  const engine = await openSmall(fileSystem, {
    maxFrozenMemtables: 1,
    writeStallTimeoutMs: 50,
  });
  let stalledError: unknown;
  for (let index = 0; index < 200 && stalledError === undefined; index++) {
    await engine
      .write([{ kind: "put", key: text(`k${index}`), value: new Uint8Array(200) }])
      .catch((error) => stalledError = error);
  }
  assert.ok(stalledError instanceof StorageError, `expected a stall error, got ${stalledError}`);
  assert.match(stalledError.message, /stalled for 50 ms/);
  assert.ok((engine.stats().writeStalls ?? 0) >= 1);
  assert.ok((engine.stats().frozenMemtables ?? 0) <= 1);

  fileSystem.release();
  await engine.write([{ kind: "put", key: text("after"), value: text("1") }]);
  await engine.waitForBackgroundWork();
  assert.deepEqual(await engine.get(text("after")), text("1"));
  await engine.close();
});

Deno.test("batch sync mode acknowledges before syncing", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem, {
    walSync: { mode: "batch", intervalMs: 5 },
    memtableSizeBytes: 1 << 20,
  });
  const syncsBefore = fileSystem.syncCount;
  for (let index = 0; index < 20; index++) {
    await engine.write([{ kind: "put", key: text(`k${index}`), value: text("v") }]);
  }
  assert.equal(fileSystem.syncCount, syncsBefore, "batch mode synced per write");
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.ok(fileSystem.syncCount > syncsBefore, "the periodic sync never ran");
  const restarted = fileSystem.crash();
  await engine.close().catch(() => {});
  const reopened = await openSmall(restarted);
  assert.deepEqual(await reopened.get(text("k19")), text("v"));
  await reopened.close();
});

Deno.test("empty WAL segment left by a crash is removed", async () => {
  const fileSystem = new SimulatedFileSystem();
  let engine = await openSmall(fileSystem);
  await fill(engine, 5);
  await engine.close();
  // A kill between creating a segment and writing its header leaves an empty file.
  const empty = await fileSystem.openWritable(`${DIRECTORY}/000999.log`);
  await empty.close();
  for (let open = 0; open < 2; open++) {
    engine = await openSmall(fileSystem);
    assert.equal(decoder.decode(await engine.get(text("key4"))).slice(0, 2), "v4");
    await engine.close();
  }
  assert.ok(!(await fileSystem.list(DIRECTORY)).includes("000999.log"));
});

/** A disk whose directory syncs fail once a manifest has been renamed into place. */
class FailingManifestSyncDisk extends SimulatedFileSystem {
  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (from.endsWith("MANIFEST.tmp")) this.failSyncs(/^\/data\/storage$/);
  }
}

Deno.test("failed manifest sync poisons and keeps its files", async () => {
  for (const keepJournal of [false, true]) {
    const fileSystem = new FailingManifestSyncDisk();
    const engine = await openSmall(fileSystem);
    let acknowledged = 0;
    for (let index = 0; index < 100; index++) {
      const value = text(`v${index}`.padEnd(100, "."));
      const written = await engine
        .write([{ kind: "put", key: text(`key${index}`), value }])
        .then(() => true, () => false);
      if (!written) break;
      acknowledged++;
    }
    await engine.waitForBackgroundWork();
    assert.equal(engine.stats().poisoned, 1);
    assert.ok(acknowledged > 0);
    const restarted = fileSystem.crash(keepJournal ? () => 0.999 : undefined);
    await engine.close().catch(() => {});

    const reopened = await openSmall(restarted);
    for (let index = 0; index < acknowledged; index++) {
      const value = await reopened.get(text(`key${index}`));
      assert.equal(decoder.decode(value).split(".")[0], `v${index}`, `key${index}`);
    }
    await reopened.close();
  }
});

/** Writes one put of a 100-byte value to each of `keyCount` keys, all tagged `generation`. */
async function writeGeneration(engine: LsmEngine, keyCount: number, generation: number) {
  for (let index = 0; index < keyCount; index += 10) {
    const operations = Array.from({ length: 10 }, (_, offset) => ({
      kind: "put" as const,
      key: text(`key${String(index + offset).padStart(4, "0")}`),
      value: text(`g${generation}`.padEnd(100, ".")),
    }));
    await engine.write(operations);
  }
}

/** Bytes of all tables but the largest, as a percentage of the largest. */
async function sizeAmplificationPercent(fileSystem: SimulatedFileSystem): Promise<number> {
  const sizes: number[] = [];
  for (const name of await tableFiles(fileSystem)) {
    sizes.push((await fileSystem.readFile(`${DIRECTORY}/${name}`)).length);
  }
  const largest = Math.max(...sizes);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  return sizes.length < 2 ? 0 : (100 * (total - largest)) / largest;
}

Deno.test("space rule keeps overwritten data near its live size", async () => {
  const keyCount = 300;
  // Each generation is about 32 KB of tables: eight 4 KiB memtables.
  const runWorkload = async (maxSizeAmplificationPercent: number) => {
    const fileSystem = new SimulatedFileSystem();
    const engine = await openSmall(fileSystem, {
      compaction: {
        minThreshold: 4,
        // Tiers by size ratio even for these tiny tables, as for tables of real sizes.
        minTableSizeBytes: 0,
        maxSizeAmplificationPercent,
        idleCompactionDelayMs: 0,
      },
    });
    const tableBytes: number[] = [];
    for (let generation = 0; generation < 8; generation++) {
      await writeGeneration(engine, keyCount, generation);
      await engine.waitForBackgroundWork();
      tableBytes.push(engine.stats().tableBytes ?? 0);
      const amplification = await sizeAmplificationPercent(fileSystem);
      assert.ok(
        amplification <= maxSizeAmplificationPercent,
        `generation ${generation}: others hold ${amplification}% of the largest table`,
      );
    }
    const stats = engine.stats();
    assert.equal(decoder.decode(await engine.get(text("key0123"))).slice(0, 2), "g7");
    await engine.close();
    return { tableBytes, stats };
  };

  const withRule = await runWorkload(100);
  const tieredOnly = await runWorkload(Number.MAX_SAFE_INTEGER);
  // One generation of live data takes about 32 KB as a table; allow twice that plus a memtable.
  const liveTableBytes = 32 * 1024;
  const mostBytes = Math.max(...withRule.tableBytes);
  assert.ok(mostBytes <= 2 * liveTableBytes + 4096, `tables held up to ${mostBytes} bytes`);
  assert.ok((withRule.stats.sizeAmplificationCompactions ?? 0) > 0, "the space rule never ran");
  assert.equal(tieredOnly.stats.sizeAmplificationCompactions, 0);
  const tieredMostBytes = Math.max(...tieredOnly.tableBytes);
  assert.ok(
    tieredMostBytes > 1.5 * mostBytes,
    `size-tiered alone held up to ${tieredMostBytes} bytes, with the rule ${mostBytes}`,
  );
});

/** A pacer whose clock moves only when the test advances it. A sleep takes one timer turn. */
class ManualPacer {
  nowMs = 0;
  now(): number {
    return this.nowMs;
  }
  sleep(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Polls `condition` every 10 ms for at most `timeoutMs`. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

Deno.test("idle rule merges every table and drops tombstones", async () => {
  const fileSystem = new SimulatedFileSystem();
  const pacer = new ManualPacer();
  const engine = await openSmall(fileSystem, {
    pacer,
    compaction: { minThreshold: 4, minTableSizeBytes: 0, idleCompactionDelayMs: 20 },
  });
  await writeGeneration(engine, 300, 0);
  await writeGeneration(engine, 300, 1);
  for (let index = 0; index < 300; index += 2) {
    await engine.write([{ kind: "delete", key: text(`key${String(index).padStart(4, "0")}`) }]);
  }
  // Fill the memtable past its size with other keys, so every delete reaches a table.
  for (let index = 0; index < 40; index++) {
    await engine.write([{ kind: "put", key: text(`z${index}`), value: new Uint8Array(100) }]);
  }
  await engine.waitForBackgroundWork();
  const busy = engine.stats();
  assert.ok((busy.tables ?? 0) >= 2, `expected several tables, got ${busy.tables}`);

  // The clock has not moved since the last write: idle checks run but find the store busy.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(engine.stats().idleCompactions, 0);

  pacer.nowMs += 20;
  assert.ok(
    await eventually(() => engine.stats().idleCompactions === 1, 5_000),
    "no idle compaction after the idle delay",
  );
  await engine.waitForBackgroundWork();
  const idle = engine.stats();
  assert.equal(idle.tables, 1);
  let count = 0;
  for await (const _ of engine.scan({ end: text("z") })) count++;
  assert.equal(count, 150);
  // 150 live keys of about 108 bytes, plus at most one memtable of other keys.
  assert.ok((idle.tableBytes ?? 0) < 1.3 * 150 * 108 + 4096 + 1024, `${idle.tableBytes} bytes`);
  assert.ok((idle.tableBytes ?? 0) < (busy.tableBytes ?? 0) / 2);

  // One table left: later checks find nothing to do.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(engine.stats().idleCompactions, 1);
  await engine.close();
});

Deno.test("engine memory stays within cache and memtables", async () => {
  const fileSystem = new SimulatedFileSystem();
  const memtableSizeBytes = 256 * 1024;
  const blockCacheSizeBytes = 64 * 1024;
  const batchSize = 5;
  const valueBytes = 60;
  // The active memtable and two frozen ones, each past its size by at most one batch.
  const batchBytes = batchSize * (9 + valueBytes + MEMTABLE_ENTRY_OVERHEAD_BYTES);
  const memoryBoundBytes = blockCacheSizeBytes + 3 * (memtableSizeBytes + batchBytes);
  const options: Partial<EngineOptions> = {
    memtableSizeBytes,
    blockCacheSizeBytes,
    // Small blocks make many index entries, so whole indexes would not fit the cache.
    sstable: { blockSizeBytes: 128 },
    compaction: { enabled: false },
  };
  const keyCount = 30_000;
  const keyOf = (index: number) => text(`key${String(index).padStart(6, "0")}`);
  let engine = await openSmall(fileSystem, options);
  for (let index = 0; index < keyCount; index += batchSize) {
    const operations = Array.from({ length: batchSize }, (_, offset) => ({
      kind: "put" as const,
      key: keyOf(index + offset),
      value: text(`value${index + offset}`.padEnd(valueBytes, ".")),
    }));
    await engine.write(operations);
    const accounted = engine.stats().accountedMemoryBytes ?? 0;
    assert.ok(accounted <= memoryBoundBytes, `${accounted} bytes accounted while writing`);
  }
  await engine.waitForBackgroundWork();
  await engine.close();

  engine = await openSmall(fileSystem, options);
  const opened = engine.stats();
  assert.ok((opened.tables ?? 0) >= 20, `only ${opened.tables} tables`);
  // Resident indexes would take one entry (about 16 bytes) per 128-byte block of about 75-byte
  // entries, and filters 1.25 bytes per key: far more than the cache.
  const residentMetadataBytes = (16 * keyCount * 75) / 128 + 1.25 * keyCount;
  assert.ok(residentMetadataBytes > 4 * blockCacheSizeBytes);
  assert.ok((opened.blockCachePinnedBytes ?? 0) < blockCacheSizeBytes / 2);
  // Reads leave the memtables alone, so only the cache may grow, and not past its capacity.
  const readBoundBytes = blockCacheSizeBytes + (opened.memtableBytes ?? 0);

  for (let index = 0; index < keyCount; index += 37) {
    const value = await engine.get(keyOf(index));
    assert.equal(decoder.decode(value).slice(0, 5 + String(index).length), `value${index}`);
    assert.equal(await engine.get(text(`key${String(index).padStart(6, "0")}x`)), undefined);
    const stats = engine.stats();
    assert.ok((stats.blockCacheBytes ?? 0) <= blockCacheSizeBytes, `${stats.blockCacheBytes}`);
    assert.ok((stats.accountedMemoryBytes ?? 0) <= readBoundBytes);
  }
  let scanned = 0;
  for await (const _ of engine.scan({ start: keyOf(5_000), end: keyOf(7_000) })) scanned++;
  assert.equal(scanned, 2_000);
  const final = engine.stats();
  assert.ok((final.blockCacheEvictions ?? 0) > 0, "the reads never filled the cache");
  assert.ok((final.accountedMemoryBytes ?? 0) <= readBoundBytes);
  await engine.close();
});

/** Writes `count` keys `${prefix}0000..` with 100-byte values and waits for their flushes. */
async function fillPrefix(engine: LsmEngine, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const key = text(`${prefix}${String(index).padStart(4, "0")}`);
    await engine.write([{ kind: "put", key, value: text(prefix.padEnd(100, ".")) }]);
  }
  await engine.waitForBackgroundWork();
}

Deno.test("engine scan skips tables outside its range", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem, { compaction: { enabled: false } });
  // Each prefix fills several 4 KiB memtables, so tables never mix prefixes except at a seam.
  for (const prefix of ["a", "b", "c", "d", "e"]) await fillPrefix(engine, prefix, 120);
  const tableCount = engine.stats().tables ?? 0;
  assert.ok(tableCount >= 10, `only ${tableCount} tables`);

  const skipsBefore = engine.stats().scanTableSkips ?? 0;
  let count = 0;
  for await (const entry of engine.scan({ start: text("c0010"), end: text("c0020") })) {
    assert.equal(decoder.decode(entry.key).slice(0, 1), "c");
    count++;
  }
  assert.equal(count, 10);
  const skipped = (engine.stats().scanTableSkips ?? 0) - skipsBefore;
  // At most the tables holding "c" keys, one per memtable of them, are read.
  assert.ok(skipped >= tableCount - 4, `skipped ${skipped} of ${tableCount} tables`);

  const reversed: string[] = [];
  for await (
    const entry of engine.scan({ start: text("b0118"), end: text("c0002"), reverse: true })
  ) {
    reversed.push(decoder.decode(entry.key));
  }
  assert.deepEqual(reversed, ["c0001", "c0000", "b0119", "b0118"]);
  await engine.close();
});

Deno.test("engine get hashes each key once for all tables", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openSmall(fileSystem, { compaction: { enabled: false } });
  // Every table spans the same key range, so none is skipped by range alone. Only the oldest
  // table holds "key30a".
  await engine.write([{ kind: "put", key: text("key30a"), value: text("oldest") }]);
  for (let round = 0; round < 6; round++) await fill(engine, 60, 60, `r${round}`);
  await engine.waitForBackgroundWork();
  assert.ok((engine.stats().tables ?? 0) >= 6);
  // Load every filter partition into the cache first.
  await engine.get(text("key5x"));

  const hasher = await loadHasher();
  const original = hasher.h64Raw;
  let hashCount = 0;
  hasher.h64Raw = (input, seed) => {
    hashCount++;
    return original(input, seed);
  };
  try {
    assert.equal(await engine.get(text("key5x")), undefined);
    assert.equal(hashCount, 1);
    assert.equal(decoder.decode(await engine.get(text("key30a"))), "oldest");
    assert.equal(hashCount, 2);
  } finally {
    hasher.h64Raw = original;
  }
  await engine.close();
});

Deno.test("engine short and long scans match a model across flushes", async () => {
  const engine = await openSmall(new SimulatedFileSystem());
  const model = new Map<string, string>();
  let seed = 99;
  const random = (limit: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    // The high bits: an LCG's low bits repeat with a short period.
    return (seed >>> 16) % limit;
  };
  const keyName = (index: number) => `k${String(index).padStart(3, "0")}`;
  for (let step = 0; step < 1500; step++) {
    const key = keyName(random(300));
    if (random(5) === 0) {
      await engine.write([{ kind: "delete", key: text(key) }]);
      model.delete(key);
    } else {
      const value = `${key}@${step}`.padEnd(60, ".");
      await engine.write([{ kind: "put", key: text(key), value: text(value) }]);
      model.set(key, value);
    }
    if (step % 5 !== 0) continue;
    // Ranges of 1 to 300 keys: short ones take the whole-range path, long ones stream.
    const first = random(300);
    const start = keyName(first);
    const end = keyName(first + 1 + random(random(2) === 0 ? 8 : 300));
    const reverse = random(2) === 0;
    const expected = [...model.entries()]
      .filter(([modelKey]) => modelKey >= start && modelKey < end)
      .sort(([a], [b]) => a < b ? -1 : 1);
    if (reverse) expected.reverse();
    const actual: [string, string][] = [];
    for await (const entry of engine.scan({ start: text(start), end: text(end), reverse })) {
      actual.push([decoder.decode(entry.key), decoder.decode(entry.value)]);
    }
    assert.deepEqual(actual, expected, `step ${step}: [${start}, ${end}) reverse ${reverse}`);
  }
  const stats = engine.stats();
  assert.ok((stats.tables ?? 0) > 1, "writes reached several tables");
  assert.ok((stats.shortTableScans ?? 0) > 0, "some scans read tables whole");
  await engine.close();
});

Deno.test("engine reads tables from cache and copies values", async () => {
  const engine = await openSmall(new SimulatedFileSystem(), { compaction: { enabled: false } });
  await fill(engine, 200, 100);
  await engine.waitForBackgroundWork();
  assert.ok((engine.stats().tables ?? 0) >= 2, "values live in tables");
  // The first read loads blocks, the second finds them cached; both give the newest value.
  for (let round = 0; round < 2; round++) {
    for (let index = 0; index < 100; index++) {
      const value = await engine.get(text(`key${index}`));
      assert.equal(decoder.decode(value).split(".")[0], `v${index + 100}`);
    }
  }
  const first = await engine.get(text("key7"));
  first!.fill(0);
  assert.equal(decoder.decode(await engine.get(text("key7"))).split(".")[0], "v107");
  assert.equal(decoder.decode(await engine.getView(text("key7"))).split(".")[0], "v107");
  assert.equal(await engine.get(text("key100")), undefined);
  await engine.close();
});
