/**
 * Tests of the manifest encoding and of its atomic replacement on the simulated disk.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "./engine.ts";
import {
  decodeManifest,
  encodeManifest,
  type ManifestState,
  readManifest,
  writeManifest,
} from "./manifest.ts";
import { SimulatedFileSystem } from "./testing/simulated_file_system.ts";

const STATE: ManifestState = {
  nextFileNumber: 42,
  logNumber: 40,
  lastSequence: 2 ** 40,
  tables: [{ fileNumber: 39, fileSizeBytes: 1234 }, { fileNumber: 7, fileSizeBytes: 99 }],
};

Deno.test("manifest round trips its state", () => {
  assert.deepEqual(decodeManifest(encodeManifest(STATE), "MANIFEST"), STATE);
});

Deno.test("manifest header bytes match FORMAT.md", () => {
  const bytes = encodeManifest(STATE);
  assert.deepEqual([...bytes.subarray(0, 12)], [
    0x53,
    0x4d,
    0x41,
    0x4e,
    1,
    0,
    0,
    0,
    28 + 32,
    0,
    0,
    0,
  ]);
  assert.equal(bytes.length, 16 + 28 + 32);
});

Deno.test("manifest rejects every flipped byte", () => {
  const bytes = encodeManifest(STATE);
  for (let offset = 0; offset < bytes.length; offset++) {
    const damaged = bytes.slice();
    damaged[offset]! ^= 0x10;
    assert.throws(
      () => decodeManifest(damaged, "/db/MANIFEST"),
      (error: unknown) =>
        error instanceof StorageError && error.kind === "corruption" &&
        error.file === "/db/MANIFEST",
      `flip at offset ${offset} went unseen`,
    );
  }
});

Deno.test("manifest edit is atomic across a crash", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  assert.equal(await readManifest(fileSystem, "/db"), undefined);
  await writeManifest(fileSystem, "/db", STATE);
  const restarted = fileSystem.crash();
  assert.deepEqual(await readManifest(restarted, "/db"), STATE);

  const next = { ...STATE, logNumber: 41, tables: [] };
  const failing = restarted;
  failing.failSyncs(/^\/db$/);
  await assert.rejects(() => writeManifest(failing, "/db", next));
  const afterFailure = failing.crash();
  assert.deepEqual(await readManifest(afterFailure, "/db"), STATE);
});
