/**
 * Tests of the real file system adapter in a temporary directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DenoFileSystem } from "./deno_file_system.ts";

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
