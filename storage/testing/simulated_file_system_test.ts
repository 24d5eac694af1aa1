/**
 * Tests of the simulated disk's fault model: what a crash keeps, drops and tears.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "../engine.ts";
import { SimulatedFileSystem } from "./simulated_file_system.ts";

const data = (...values: number[]) => new Uint8Array(values);

Deno.test("simulated crash drops unsynced bytes", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  const file = await fileSystem.openWritable("/db/a");
  await file.append(data(1, 2));
  await file.sync();
  await fileSystem.syncDirectory("/db");
  await file.append(data(3, 4));
  const restarted = fileSystem.crash();
  assert.deepEqual(await restarted.readFile("/db/a"), data(1, 2));
  await assert.rejects(() => file.append(data(5)), /died in a crash/);
  await assert.rejects(() => fileSystem.readFile("/db/a"), /lost in a crash/);
});

Deno.test("simulated crash drops unsynced creation", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  const file = await fileSystem.openWritable("/db/a");
  await file.append(data(1));
  await file.sync();
  const restarted = fileSystem.crash();
  assert.equal(await restarted.exists("/db/a"), false);
});

Deno.test("simulated crash reverts unsynced rename and removal", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  for (const name of ["a", "b"]) {
    const file = await fileSystem.openWritable(`/db/${name}`);
    await file.append(data(name.charCodeAt(0)));
    await file.sync();
  }
  await fileSystem.syncDirectory("/db");
  await fileSystem.rename("/db/a", "/db/c");
  await fileSystem.remove("/db/b");
  assert.deepEqual((await fileSystem.list("/db")).sort(), ["c"]);
  const restarted = fileSystem.crash();
  assert.deepEqual((await restarted.list("/db")).sort(), ["a", "b"]);
});

Deno.test("simulated crash tears unsynced bytes to a prefix", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  const file = await fileSystem.openWritable("/db/a");
  await file.append(data(1));
  await file.sync();
  await fileSystem.syncDirectory("/db");
  await file.append(data(2, 3, 4, 5));
  const restarted = fileSystem.crash(() => 0.5);
  assert.deepEqual(await restarted.readFile("/db/a"), data(1, 2, 3));
});

Deno.test("simulated disk fails appends past capacity", async () => {
  const fileSystem = new SimulatedFileSystem();
  fileSystem.capacityBytes = 3;
  await fileSystem.makeDirectory("/db");
  const file = await fileSystem.openWritable("/db/a");
  await assert.rejects(
    () => file.append(data(1, 2, 3, 4)),
    (error: unknown) => error instanceof StorageError && error.kind === "no-space",
  );
  assert.equal(file.sizeBytes, 3);
  await file.truncate(1);
  assert.deepEqual(await fileSystem.readFile("/db/a"), data(1));
});

Deno.test("simulated disk fails syncs on request", async () => {
  const fileSystem = new SimulatedFileSystem();
  await fileSystem.makeDirectory("/db");
  const file = await fileSystem.openWritable("/db/a.log");
  fileSystem.failSyncs(/\.log$/);
  await assert.rejects(() => file.sync(), /simulated fsync failure/);
  fileSystem.failSyncs(undefined);
  await file.sync();
});
