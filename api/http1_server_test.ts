/**
 * Tests for the HTTP/1.1 server over real sockets on 127.0.0.1, with a stand-in protocol handler
 * that echoes what it received: framing (Content-Length, chunked, pipelining), keep-alive rules,
 * `Expect: 100-continue`, malformed and oversized requests, and shutdown.
 *
 * @module
 */

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { Http1Server, MAX_HEAD_BYTES } from "./http1_server.ts";
import { MAX_REQUEST_BODY_BYTES, type ProtocolHandler } from "./protocol.ts";
import { silentLogger } from "../util/logger.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Returns a handler that echoes a JSON summary of each request; `/slow` waits for `gate`. */
function echoHandler(gate?: Promise<void>): ProtocolHandler {
  return async (request) => {
    if (request.path === "/slow") await gate;
    const body = request.body === undefined ? null : decoder.decode(request.body);
    return {
      status: request.body === undefined ? 413 : 200,
      headers: [["content-type", "application/json"]],
      body: JSON.stringify({
        method: request.method,
        path: request.path,
        query: request.query,
        target: request.header("x-amz-target") ?? null,
        body,
      }),
    };
  };
}

interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Reads whole responses from a raw socket, framed by Content-Length. */
class RawClient {
  #pending = new Uint8Array(0);
  private constructor(readonly socket: Deno.TcpConn) {}

  static async connect(server: { port: number }): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
  }

  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    let written = 0;
    while (written < bytes.length) written += await this.socket.write(bytes.subarray(written));
  }

  /** Reads one response; undefined if the server closed the connection first. */
  async response(): Promise<ParsedResponse | undefined> {
    while (true) {
      const text = latin1(this.#pending);
      const headEnd = text.indexOf("\r\n\r\n");
      if (headEnd >= 0) {
        const lines = text.slice(0, headEnd).split("\r\n");
        const headers = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get("content-length") ?? "0");
        if (this.#pending.length >= headEnd + 4 + length) {
          const bodyBytes = this.#pending.slice(headEnd + 4, headEnd + 4 + length);
          this.#pending = this.#pending.slice(headEnd + 4 + length);
          if (headers.has("x-amz-crc32")) {
            assert.equal(headers.get("x-amz-crc32"), String(crc32(bodyBytes)), "x-amz-crc32");
          }
          return {
            status: Number(lines[0]!.split(" ")[1]),
            headers,
            body: decoder.decode(bodyBytes),
          };
        }
      }
      if (!(await this.#read())) return undefined;
    }
  }

  /** Returns whether the server closes the connection without sending anything more. */
  async closedByServer(): Promise<boolean> {
    try {
      return !(await this.#read()) && this.#pending.length === 0;
    } catch {
      return true;
    }
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }

  async #read(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const count = await this.socket.read(chunk);
    if (count === null) return false;
    const joined = new Uint8Array(this.#pending.length + count);
    joined.set(this.#pending);
    joined.set(chunk.subarray(0, count), this.#pending.length);
    this.#pending = joined;
    return true;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let index = 0; index < bytes.length; index += 8192) {
    text += String.fromCharCode(...bytes.subarray(index, index + 8192));
  }
  return text;
}

function post(body: string, extraHeaders = ""): string {
  return `POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: T.Op\r\n${extraHeaders}` +
    `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`;
}

async function withServer(
  test: (server: Http1Server) => Promise<void>,
  handler: ProtocolHandler = echoHandler(),
): Promise<void> {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler,
    logger: silentLogger,
  });
  try {
    await test(server);
  } finally {
    await server.shutdown();
  }
}

Deno.test("http1 answers pipelined requests in order on one connection", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send(post('{"n":1}') + post('{"n":2}') + post("ünïcode ✓"));
    const bodies = [];
    for (let index = 0; index < 3; index++) {
      const response = await client.response();
      assert.equal(response?.status, 200);
      assert.ok(response.headers.get("date"), "date header");
      assert.equal(response.headers.get("connection"), undefined, "keep-alive by default");
      bodies.push(JSON.parse(response.body).body);
    }
    assert.deepEqual(bodies, ['{"n":1}', '{"n":2}', "ünïcode ✓"]);
    client.close();
  });
});

Deno.test("http1 reads a request split across many writes", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    const request = encoder.encode(post('{"split":true}'));
    for (let offset = 0; offset < request.length; offset += 7) {
      await client.send(request.subarray(offset, offset + 7));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const response = await client.response();
    assert.equal(JSON.parse(response!.body).body, '{"split":true}');
    client.close();
  });
});

Deno.test("http1 decodes a chunked body and ignores trailers", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send(
      "POST /path?x=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n",
    );
    const response = await client.response();
    const echoed = JSON.parse(response!.body);
    assert.equal(echoed.body, "hello, world");
    assert.equal(echoed.path, "/path");
    assert.equal(echoed.query, "x=1");
    client.close();
  });
});

Deno.test("http1 sends 100 Continue before reading an expected body", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    );
    const interim = await client.response();
    assert.equal(interim?.status, 100);
    await client.send("body");
    const response = await client.response();
    assert.equal(JSON.parse(response!.body).body, "body");
    client.close();
  });
});

Deno.test("http1 closes after Connection: close and after HTTP/1.0 requests", async () => {
  await withServer(async (server) => {
    for (const request of [post("{}", "Connection: close\r\n"), "GET / HTTP/1.0\r\n\r\n"]) {
      const client = await RawClient.connect(server);
      await client.send(request);
      const response = await client.response();
      assert.equal(response?.status, 200);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await client.closedByServer(), "server closes the connection");
      client.close();
    }
    const keptAlive = await RawClient.connect(server);
    await keptAlive.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    assert.equal((await keptAlive.response())?.headers.get("connection"), "keep-alive");
    assert.equal((await keptAlive.response())?.headers.get("connection"), "close");
    keptAlive.close();
  });
});

Deno.test("http1 answers malformed requests with 400 and closes", async () => {
  await withServer(async (server) => {
    const malformed = [
      "NOT A REQUEST\r\n\r\n",
      "POST / HTTP/2.0\r\n\r\n",
      "POST / HTTP/1.1\r\nBad Header: x\r\n\r\n",
      "POST / HTTP/1.1\r\n folded: x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    const statuses = [];
    for (const request of malformed) {
      const client = await RawClient.connect(server);
      await client.send(request);
      const response = await client.response();
      statuses.push(response?.status);
      assert.ok(await client.closedByServer(), `closed after ${JSON.stringify(request)}`);
      client.close();
    }
    assert.deepEqual(statuses, [400, 505, 400, 400, 400, 400, 400, 400]);
  });
});

Deno.test("http1 answers 431 to a head over the limit", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send(`POST / HTTP/1.1\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`);
    assert.equal((await client.response())?.status, 431);
    client.close();
  });
});

Deno.test("http1 answers an oversized body without reading it, then closes", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    const declared = MAX_REQUEST_BODY_BYTES + 1;
    await client.send(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${declared}\r\n\r\n`);
    // Part of the body is already sent when the response arrives.
    await client.send(new Uint8Array(256 * 1024));
    const response = await client.response();
    assert.equal(response?.status, 413);
    assert.equal(JSON.parse(response.body).body, null, "the handler saw no body");
    assert.equal(response.headers.get("connection"), "close");
    client.close();
  });
});

Deno.test("http1 shutdown closes idle connections and finishes busy ones", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: echoHandler(gate),
    logger: silentLogger,
  });
  const idle = await RawClient.connect(server);
  await idle.send(post("{}"));
  assert.equal((await idle.response())?.status, 200);
  const busy = await RawClient.connect(server);
  await busy.send("POST /slow HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  await new Promise((resolve) => setTimeout(resolve, 20));

  let finished = false;
  const shutdown = server.shutdown().then(() => (finished = true));
  assert.ok(await idle.closedByServer(), "idle connection closed at once");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(finished, false, "shutdown waits for the busy request");
  release();
  const response = await busy.response();
  assert.equal(response?.status, 200);
  assert.equal(response.headers.get("connection"), "close");
  await shutdown;
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    "no longer accepting",
  );
  idle.close();
  busy.close();
});

Deno.test("http1 closes a connection stuck in the middle of a request", async () => {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: echoHandler(),
    logger: silentLogger,
    requestTimeoutMs: 200,
  });
  try {
    const client = await RawClient.connect(server);
    await client.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    const started = performance.now();
    assert.ok(await client.closedByServer());
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= 150, `closed after ${waitedMs} ms, before the timeout`);
    assert.ok(waitedMs < 5000, `closed after ${waitedMs} ms`);
    client.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("http1 rejects CR and NUL inside header values", async () => {
  await withServer(async (server) => {
    // Header values can reach response headers (CORS echoes one), so a line break inside a value
    // would let a client inject response headers. A bare LF ends the line instead.
    const requests = [
      "GET / HTTP/1.1\r\nX-Amz-Target: a\rb\r\n\r\n",
      "GET / HTTP/1.1\r\nX-Amz-Target: a\0b\r\n\r\n",
      "GET / HTTP/1.1\r\nX-Amz-Target: a\r\r\n\r\n",
    ];
    for (const request of requests) {
      const client = await RawClient.connect(server);
      await client.send(request);
      const response = await client.response();
      assert.equal(response?.status, 400, JSON.stringify(request));
      assert.ok(await client.closedByServer(), `closed after ${JSON.stringify(request)}`);
      client.close();
    }
  });
});

Deno.test("http1 request timeout counts from the first byte", async () => {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: echoHandler(),
    logger: silentLogger,
    requestTimeoutMs: 1500,
  });
  try {
    const client = await RawClient.connect(server);
    const closed = client.closedByServer();
    let closedEarly = false;
    closed.then(() => (closedEarly = true));
    // One byte of the head every 400 ms: each arrives well within the timeout, but the request
    // as a whole takes far longer.
    const head = encoder.encode("POST / HTTP/1.1\r\nX-Slow: " + "a".repeat(12));
    const started = performance.now();
    for (
      let index = 0;
      index < head.length && !closedEarly && performance.now() - started < 4500;
      index++
    ) {
      try {
        await client.send(head.subarray(index, index + 1));
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const waitedMs = performance.now() - started;
    assert.ok(closedEarly, `still open after ${waitedMs} ms of a slow head`);
    assert.ok(waitedMs >= 1400, `closed after ${waitedMs} ms, before the timeout`);
    await closed;
    client.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("http1 rejects Transfer-Encoding with Content-Length", async () => {
  await withServer(async (server) => {
    // A proxy in front may frame such a request by the other header, so the rest of the stream
    // cannot be trusted (request smuggling). Deno.serve also rejects it with 400.
    const client = await RawClient.connect(server);
    await client.send(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "2\r\n{}\r\n0\r\n\r\n" + post("{}"),
    );
    const response = await client.response();
    assert.equal(response?.status, 400);
    assert.equal(response.headers.get("connection"), "close");
    assert.ok(await client.closedByServer(), "the pipelined request is not answered");
    client.close();
  });
});

Deno.test("http1 times out a pipelined request's body", async () => {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: echoHandler(),
    logger: silentLogger,
    requestTimeoutMs: 200,
    idleTimeoutMs: 60_000,
  });
  try {
    const client = await RawClient.connect(server);
    // The second head arrives with the first request, so it is parsed without another read.
    await client.send(post("{}") + "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    assert.equal((await client.response())?.status, 200);
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      client.closedByServer(),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 4000))),
    ]);
    clearTimeout(timer);
    const waitedMs = performance.now() - started;
    assert.ok(closed, `still open after ${waitedMs} ms`);
    client.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("http1 keeps serving after running out of file descriptors", async () => {
  // A child process with a low descriptor limit runs the server, so accept fails with EMFILE.
  const script = `
    import { Http1Server } from ${
    JSON.stringify(new URL("./http1_server.ts", import.meta.url).href)
  };
    import { silentLogger } from ${
    JSON.stringify(new URL("../util/logger.ts", import.meta.url).href)
  };
    const server = Http1Server.listen({
      hostname: "127.0.0.1",
      port: 0,
      handler: () => Promise.resolve({ status: 200, headers: [], body: "ok" }),
      logger: silentLogger,
    });
    console.log(server.port);
    await server.finished;
  `;
  const child = new Deno.Command("bash", {
    args: ["-c", 'ulimit -n 64 && exec "$0" eval "$1"', Deno.execPath(), script],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const port = Number((await reader.read()).value);
    assert.ok(port > 0, "child reported its port");

    const crowd: Deno.TcpConn[] = [];
    for (let index = 0; index < 100; index++) {
      crowd.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const socket of crowd) socket.close();

    const client = await RawClient.connect({ port });
    await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    const response = await client.response();
    assert.equal(response?.status, 200);
    assert.equal(response.body, "ok");
    client.close();
    reader.releaseLock();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});

Deno.test("http1 treats header bytes as ISO-8859-1", async () => {
  // Deno.serve exposes each header byte as one character and writes it back the same way, so
  // non-ASCII values (valid UTF-8 or not) reach the handler and return to the client unchanged.
  const handler: ProtocolHandler = (request) =>
    Promise.resolve({
      status: 200,
      headers: [["x-echo", request.header("x-value") ?? ""]],
      body: JSON.stringify({ value: request.header("x-value") ?? null }),
    });
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    // The value's bytes are 61 C3 A9 FF: "a", U+00E9 in UTF-8, then a byte invalid in UTF-8.
    const head = "GET /x HTTP/1.1\r\nHost: h\r\nX-Value: a\u00c3\u00a9\u00ff\r\n\r\n";
    await client.send(Uint8Array.from(head, (character) => character.charCodeAt(0)));
    const response = await client.response();
    assert.equal(response?.status, 200);
    assert.equal(JSON.parse(response.body).value, "a\u00c3\u00a9\u00ff");
    assert.equal(response.headers.get("x-echo"), "a\u00c3\u00a9\u00ff");
    client.close();
  }, handler);
});

Deno.test("http1 reads a body of many small chunks", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    const chunkCount = 200_000;
    await client.send(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "1\r\na\r\n".repeat(chunkCount) + "0\r\n\r\n",
    );
    const response = await client.response();
    assert.equal(response?.status, 200);
    assert.equal(JSON.parse(response.body).body, "a".repeat(chunkCount));
    client.close();
  });
});

Deno.test("http1 rejects faulty Transfer-Encoding framing", async () => {
  await withServer(async (server) => {
    // RFC 9112, section 6.1: chunked is applied once, and HTTP/1.0 has no transfer codings.
    const requests = [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "2\r\n{}\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ];
    for (const request of requests) {
      const client = await RawClient.connect(server);
      await client.send(request);
      const response = await client.response();
      assert.equal(response?.status, 400, JSON.stringify(request));
      assert.ok(await client.closedByServer(), `closed after ${JSON.stringify(request)}`);
      client.close();
    }
  });
});

Deno.test("http1 accepts lines ending in a bare LF", async () => {
  const handler: ProtocolHandler = (request) =>
    Promise.resolve({
      status: 200,
      headers: [["x-echo", request.header("x-value") ?? ""]],
      body: JSON.stringify({ injected: request.header("x-injected") ?? null }),
    });
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send(
      "\nGET / HTTP/1.1\nHost: h\nX-Value: a\nX-Injected: 1\n\n" +
        "GET / HTTP/1.1\r\nX-Value: b\n\r\n" +
        "POST / HTTP/1.1\nContent-Length: 2\n\n{}",
    );
    const first = await client.response();
    assert.equal(first?.status, 200);
    assert.equal(first.headers.get("x-echo"), "a");
    assert.equal(first.headers.get("x-injected"), undefined, "no header injected");
    assert.equal(JSON.parse(first.body).injected, "1");
    const second = await client.response();
    assert.equal(second?.headers.get("x-echo"), "b");
    const third = await client.response();
    assert.equal(third?.status, 200);
    client.close();
  }, handler);
});

Deno.test("http1 delivers the last response before closing", async () => {
  // Closing a socket with unread input makes the kernel send a reset, which discards response
  // bytes the client has not read yet.
  const bodyBytes = 2 * 1024 * 1024;
  const handler: ProtocolHandler = () =>
    Promise.resolve({ status: 200, headers: [], body: "x".repeat(bodyBytes) });
  await withServer(async (server) => {
    const client = await RawClient.connect(server);
    await client.send("GET /large HTTP/1.1\r\nConnection: close\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.send("GET / HTTP/1.1\r\n\r\n".repeat(100));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await client.response();
    assert.equal(response?.status, 200);
    assert.equal(response.body.length, bodyBytes);
    assert.equal(response.headers.get("connection"), "close");
    assert.ok(await client.closedByServer(), "server closes after the response");
    client.close();
  }, handler);
});

Deno.test("http1 shutdown stops waiting for a stalled request", async () => {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: echoHandler(),
    logger: silentLogger,
    requestTimeoutMs: 15_000,
  });
  const client = await RawClient.connect(server);
  await client.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  await server.shutdown();
  const waitedMs = performance.now() - started;
  assert.ok(waitedMs < 5000, `shutdown took ${waitedMs} ms`);
  assert.ok(await client.closedByServer(), "stalled connection closed");
  client.close();
});
