/**
 * Tests of the real file system adapter in a temporary directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DenoFileSystem } from "./deno_file_system.ts";
import { WAL_PREALLOCATE_BYTES, WalWriter } from "./wal_writer.ts";
import { encodeWalRecord } from "./wal_format.ts";
import { readWalSegment } from "./wal_reader.ts";

Deno.test("deno file system appends, syncs and reads back", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const fileSystem = new DenoFileSystem();
    const path = `${directory}/a.log`;
    const file = await fileSystem.openWritable(path);
    await file.append(new Uint8Array([1, 2, 3, 4]));
    await file.sync();
    assert.equal(file.sizeBytes, 4);
    await file.truncate(2);
    await file.append(new Uint8Array([9]));
    await file.close();
    await fileSystem.syncDirectory(directory);
    assert.deepEqual(await fileSystem.readFile(path), new Uint8Array([1, 2, 9]));

    const rewritten = await fileSystem.openWritable(`${directory}/b.log`, { truncate: true });
    await rewritten.append(new Uint8Array([7, 8, 9]));
    await rewritten.truncate(1);
    await rewritten.append(new Uint8Array([6]));
    await rewritten.close();
    assert.deepEqual(await fileSystem.readFile(`${directory}/b.log`), new Uint8Array([7, 6]));
    const truncated = await fileSystem.openWritable(`${directory}/b.log`, { truncate: true });
    assert.equal(truncated.sizeBytes, 0);
    await truncated.close();

    const reader = await fileSystem.openReadable(path);
    assert.equal(reader.sizeBytes, 3);
    assert.deepEqual(await reader.read(1, 2), new Uint8Array([2, 9]));
    await assert.rejects(() => reader.read(2, 5), RangeError);
    await reader.close();
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("deno file system renames, lists and removes", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const fileSystem = new DenoFileSystem();
    await fileSystem.makeDirectory(`${directory}/sub/deeper`);
    const file = await fileSystem.openWritable(`${directory}/sub/x.tmp`);
    await file.close();
    await fileSystem.rename(`${directory}/sub/x.tmp`, `${directory}/sub/x`);
    assert.deepEqual((await fileSystem.list(`${directory}/sub`)).sort(), ["deeper", "x"]);
    assert.equal(await fileSystem.exists(`${directory}/sub/x`), true);
    await fileSystem.remove(`${directory}/sub/x`);
    assert.equal(await fileSystem.exists(`${directory}/sub/x`), false);
    await fileSystem.truncate(`${directory}/sub/deeper`, 0).then(
      () => assert.fail("truncating a directory must fail"),
      () => {},
    );
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("deno file system appends over preallocated zeros", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const fileSystem = new DenoFileSystem();
    const path = `${directory}/c.log`;
    const file = await fileSystem.openWritable(path, { truncate: true });
    await file.append(new Uint8Array([1, 2]));
    await file.preallocate!(10);
    assert.equal(file.sizeBytes, 2, "preallocation keeps the append position");
    await file.append(new Uint8Array([3, 4, 5]));
    await file.sync();
    assert.deepEqual(
      await fileSystem.readFile(path),
      new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0, 0, 0]),
    );
    // Appends may run past the preallocated end.
    await file.append(new Uint8Array(8).fill(6));
    await file.close();
    const bytes = await fileSystem.readFile(path);
    assert.equal(bytes.length, 13);
    assert.deepEqual(bytes.subarray(5), new Uint8Array(8).fill(6));

    // A file opened for appending cannot preallocate: every write would land past the zeros.
    const appending = await fileSystem.openWritable(path);
    await appending.preallocate!(100);
    await appending.append(new Uint8Array([7]));
    await appending.close();
    assert.equal((await fileSystem.readFile(path)).length, 14);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("wal writer keeps zeros ahead that readers skip", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const fileSystem = new DenoFileSystem();
    const path = `${directory}/000001.log`;
    const writer = await WalWriter.create(fileSystem, directory, path);
    const value = new Uint8Array(1000).fill(1);
    const recordCount = Math.ceil((WAL_PREALLOCATE_BYTES * 1.5) / 1000);
    for (let index = 0; index < recordCount; index++) {
      const { record } = encodeWalRecord(index + 1, [
        { kind: "put", key: new Uint8Array([index % 256]), value },
      ]);
      await writer.append(record);
    }
    await writer.sync();
    const dataBytes = writer.sizeBytes;
    await writer.close();

    const bytes = await fileSystem.readFile(path);
    assert.ok(bytes.length > dataBytes, "zeros remain past the last record");
    assert.ok(bytes.length <= dataBytes + WAL_PREALLOCATE_BYTES, "at most one step ahead");
    for (const isLastSegment of [true, false]) {
      const contents = readWalSegment(bytes, path, isLastSegment);
      assert.equal(contents.records.length, recordCount);
      assert.equal(contents.validEndOffset, dataBytes);
      assert.equal(contents.tornTail, false);
    }
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
