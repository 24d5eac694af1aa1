/**
 * Tests for the harness's parsing of the server's output: the `server.started` line and the
 * line splitter that feeds it. Starting a real server is covered by every other file here.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LineSplitStream, startedPort } from "./server_process.ts";

Deno.test("startedPort reads the port of a server.started line", () => {
  const line =
    '{"time":"t","level":"info","event":"server.started","host":"127.0.0.1","port":41234}';
  assert.equal(startedPort(line), 41234);
});

Deno.test("startedPort ignores other lines", () => {
  assert.equal(startedPort('{"event":"server.stopping","port":1}'), undefined);
  assert.equal(startedPort('{"event":"server.started","port":"80"}'), undefined);
  assert.equal(startedPort("server.started on port 80"), undefined);
  assert.equal(startedPort(""), undefined);
});

Deno.test("LineSplitStream splits across chunk boundaries", async () => {
  const chunks = ["first\nsec", "ond\r\n", "\nthird"];
  const lines = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(new LineSplitStream()),
  );
  assert.deepEqual(lines, ["first", "second", "", "third"]);
});
