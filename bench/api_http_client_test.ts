/**
 * Tests for the benchmark's keep-alive HTTP client against a local `Deno.serve`: fixed-length and
 * chunked bodies, several requests on one connection, and large bodies split over many reads.
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildPostRequest, KeepAliveConnection } from "./api_http_client.ts";

Deno.test("KeepAliveConnection reads fixed-length and chunked bodies", async () => {
  const largeBody = "y".repeat(300_000);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const text = await request.text();
      if (text === "chunked") {
        const stream = ReadableStream.from(["ab", "cd", "ef"]).pipeThrough(new TextEncoderStream());
        return new Response(stream, { status: 201 });
      }
      if (text === "large") return new Response(largeBody);
      return new Response(`echo:${text}`, { status: 400 });
    },
  );
  const connection = await KeepAliveConnection.open("127.0.0.1", server.addr.port);
  const host = `127.0.0.1:${server.addr.port}`;
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  try {
    const echo = await connection.send(buildPostRequest(host, {}, "hello"));
    assert.equal(echo.status, 400);
    assert.equal(decode(echo.body), "echo:hello");

    const chunked = await connection.send(buildPostRequest(host, {}, "chunked"));
    assert.equal(chunked.status, 201);
    assert.equal(decode(chunked.body), "abcdef");

    const large = await connection.send(buildPostRequest(host, {}, "large"));
    assert.equal(large.status, 200);
    assert.equal(large.body.length, largeBody.length);

    const again = await connection.send(buildPostRequest(host, { "X-Test": "1" }, "again"));
    assert.equal(decode(again.body), "echo:again");
  } finally {
    connection.close();
    await server.shutdown();
  }
});

Deno.test("buildPostRequest counts Content-Length in UTF-8 bytes", () => {
  const request = new TextDecoder().decode(buildPostRequest("h:1", { A: "b" }, "é"));
  assert.equal(request, "POST / HTTP/1.1\r\nHost: h:1\r\nA: b\r\nContent-Length: 2\r\n\r\né");
});
