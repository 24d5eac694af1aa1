/**
 * The DynamoDB API as a Hono application, for `Deno.serve` (`strata serve --http-server hono`)
 * or any other host of the Fetch API. It adapts a Fetch `Request` to the transport-neutral
 * protocol in `protocol.ts` and its result back to a `Response`.
 *
 * The default transport is Strata's own HTTP/1.1 server (`http1_server.ts`), which costs about
 * half as much CPU per request; both serve the same protocol handler.
 *
 * @module
 */

import { Hono } from "hono";
import {
  bodyChecksum,
  MAX_REQUEST_BODY_BYTES,
  type ProtocolHandler,
  type ProtocolRequest,
} from "./protocol.ts";

/** Creates the Hono application that serves `handler` over the Fetch API. */
export function createApp(handler: ProtocolHandler): Hono {
  const app = new Hono();
  app.all("*", async (httpContext) => {
    const request = httpContext.req.raw;
    const url = new URL(request.url);
    const headers = request.headers;
    const protocolRequest: ProtocolRequest = {
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      header: (name) => headers.get(name) ?? undefined,
      body: await readBody(request),
    };
    const response = await handler(protocolRequest);
    const responseHeaders = new Headers(response.headers);
    responseHeaders.set("x-amz-crc32", bodyChecksum(response.body));
    return new Response(response.body, { status: response.status, headers: responseHeaders });
  });
  return app;
}

/** Reads the body, returning undefined once it passes {@linkcode MAX_REQUEST_BODY_BYTES}. */
async function readBody(request: Request): Promise<Uint8Array | undefined> {
  const lengthHeader = request.headers.get("content-length");
  const declared = Number(lengthHeader ?? "0");
  if (declared > MAX_REQUEST_BODY_BYTES) return undefined;
  // With a declared length the runtime stops reading at that length, so reading the body whole
  // is bounded.
  if (lengthHeader !== null) return new Uint8Array(await request.arrayBuffer());
  // A chunked body is read piece by piece to enforce the limit.
  if (request.body === null) return new Uint8Array(0);
  // Copied into one growing buffer: millions of tiny chunks kept as objects would cost far more
  // memory than their bytes, and spreading them into one call would overflow the stack.
  let body = new Uint8Array(16 * 1024);
  let totalBytes = 0;
  for await (const chunk of request.body) {
    if (totalBytes + chunk.length > MAX_REQUEST_BODY_BYTES) return undefined;
    if (totalBytes + chunk.length > body.length) {
      const grown = new Uint8Array(Math.max(totalBytes + chunk.length, body.length * 2));
      grown.set(body.subarray(0, totalBytes));
      body = grown;
    }
    body.set(chunk, totalBytes);
    totalBytes += chunk.length;
  }
  return body.subarray(0, totalBytes);
}
