/**
 * The DynamoDB wire protocol over HTTP (Hono): request framing, authentication presence check,
 * operation dispatch and DynamoDB-shaped responses.
 *
 * Every response carries `x-amzn-RequestId` and `x-amz-crc32` (CRC-32 of the exact body bytes,
 * which the AWS CLI and the Go and Java SDKs verify). This is the only place where errors become
 * responses: a {@linkcode DynamoDBError} is sent as DynamoDB sends it, anything else is logged
 * with the request id and sent as `InternalServerError`.
 *
 * Request checks run in DynamoDB's order: method and content type (404
 * `<UnknownOperationException/>`), body size (413), JSON syntax (`SerializationException`),
 * `X-Amz-Target` (`UnknownOperationException`), `Authorization` presence
 * (`MissingAuthenticationTokenException`), then the operation's own validation. Any credentials
 * are accepted: signatures are not verified, as in DynamoDB Local.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { crc32 } from "node:zlib";
import { CORAL_SERVICE_NAMESPACE, DynamoDBError, internalServerError } from "./errors.ts";
import { JsonText, type OperationContext, type OperationHandler } from "./operations/context.ts";
import { OPERATIONS } from "./operations/mod.ts";
import type { Logger } from "../util/logger.ts";
import { AssertionError } from "../util/assert.ts";

/** Largest request body accepted, in bytes (DynamoDB's limit); larger bodies get HTTP 413. */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;

/** Prefix of `X-Amz-Target` for the DynamoDB API version Strata serves. */
const TARGET_PREFIX = "DynamoDB_20120810.";

const JSON_CONTENT_TYPES = new Set(["application/x-amz-json-1.0", "application/json"]);

/** Body of the 404 that DynamoDB sends for non-POST requests and unknown content types. */
const UNKNOWN_OPERATION_XML = "<UnknownOperationException/>\n";

/** Body of the `GET /` health check, as DynamoDB's endpoints send it. */
const HEALTH_BODY = "healthy: dynamodb.us-east-1.amazonaws.com ";

const decoder = new TextDecoder("utf-8");
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Dependencies of the HTTP layer on the rest of the server. */
export interface ServerOptions {
  /** Builds the per-request context passed to operation handlers. */
  createContext(requestId: string, host: string): OperationContext;
  logger: Logger;
  /** Operation table; defaults to every implemented operation. */
  operations?: Record<string, OperationHandler>;
  /**
   * Called after a failed internal assertion has been reported to the client as InternalServerError. The
   * process should stop: running on with a broken invariant risks corrupting stored data.
   */
  onAssertionFailure?: (error: AssertionError) => void;
}

/** Creates the Hono application that serves the DynamoDB API. */
export function createApp(options: ServerOptions): Hono {
  const app = new Hono();
  const operations = options.operations ?? OPERATIONS;
  const requestIds = new RequestIdGenerator();

  app.all("*", async (httpContext) => {
    const requestId = requestIds.next();
    try {
      return await handleRequest(httpContext, requestId, operations, options);
    } catch (error) {
      if (error instanceof AssertionError) options.onAssertionFailure?.(error);
      return errorResponse(httpContext, requestId, error, options.logger);
    }
  });
  return app;
}

async function handleRequest(
  httpContext: Context,
  requestId: string,
  operations: Record<string, OperationHandler>,
  options: ServerOptions,
): Promise<Response> {
  const request = httpContext.req.raw;
  if (request.method === "OPTIONS" && request.headers.has("origin")) {
    return corsPreflight(request, requestId);
  }
  if (request.method === "GET" && new URL(request.url).pathname === "/") {
    return textResponse(HEALTH_BODY, 200, requestId, "text/plain", request);
  }

  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  const body = await readBody(request);
  if (body === undefined) return textResponse("", 413, requestId, "text/plain", request);
  if (
    request.method !== "POST" ||
    (body.length > 0 && (contentType === undefined || !JSON_CONTENT_TYPES.has(contentType)))
  ) {
    return textResponse(UNKNOWN_OPERATION_XML, 404, requestId, "text/plain", request);
  }
  const responseType = contentType === "application/json"
    ? "application/json"
    : "application/x-amz-json-1.0";

  const parsed = parseJsonBody(body);
  const operationName = operationFromTarget(request.headers.get("x-amz-target"));
  const handler = operationName === undefined ? undefined : operations[operationName];
  if (handler === undefined) {
    throw new DynamoDBError("UnknownOperationException", "", {
      namespace: CORAL_SERVICE_NAMESPACE,
    });
  }
  if (!request.headers.get("authorization")?.trim() && !isPresigned(request)) {
    throw new DynamoDBError(
      "MissingAuthenticationTokenException",
      "Request is missing Authentication Token",
      { namespace: CORAL_SERVICE_NAMESPACE },
    );
  }
  if (parsed === undefined) {
    throw new DynamoDBError("SerializationException", "", { namespace: CORAL_SERVICE_NAMESPACE });
  }

  const context = options.createContext(requestId, request.headers.get("host") ?? "localhost");
  const result = await handler(parsed, context);
  if (result === undefined) return textResponse("", 200, requestId, responseType, request);
  if (result instanceof JsonText) {
    return textResponse(result.text, 200, requestId, responseType, request);
  }
  return jsonResponse(result, 200, requestId, responseType, request);
}

/** Reads the body, returning undefined once it passes {@linkcode MAX_REQUEST_BODY_BYTES}. */
async function readBody(request: Request): Promise<Uint8Array | undefined> {
  const lengthHeader = request.headers.get("content-length");
  const declared = Number(lengthHeader ?? "0");
  if (declared > MAX_REQUEST_BODY_BYTES) return undefined;
  // With a declared length the runtime stops reading at that length, so reading the body whole
  // is bounded. This path also avoids `request.body`, whose stream costs several microseconds.
  if (lengthHeader !== null) return new Uint8Array(await request.arrayBuffer());
  // A chunked body is read piece by piece to enforce the limit.
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let totalBytes = 0;
  for await (const chunk of request.body) {
    totalBytes += chunk.length;
    if (totalBytes > MAX_REQUEST_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/**
 * Parses the body as a JSON object. Returns undefined for an empty body; throws
 * `SerializationException` for invalid JSON or a non-object document.
 */
function parseJsonBody(body: Uint8Array): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(body));
  } catch (error) {
    throw new DynamoDBError("SerializationException", "", {
      namespace: CORAL_SERVICE_NAMESPACE,
      cause: error,
    });
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new DynamoDBError("SerializationException", "", { namespace: CORAL_SERVICE_NAMESPACE });
  }
  if (Array.isArray(parsed)) {
    throw new DynamoDBError("SerializationException", "Start of list found where not expected", {
      namespace: CORAL_SERVICE_NAMESPACE,
      messageKey: "Message",
    });
  }
  return parsed as Record<string, unknown>;
}

/**
 * Decodes a UTF-8 body, throwing on invalid UTF-8. The lenient decoder is much faster; only a body
 * whose text contains U+FFFD (a replacement, or a literal one) is decoded again strictly.
 */
function decodeUtf8(body: Uint8Array): string {
  const text = decoder.decode(body);
  return text.includes("\uFFFD") ? strictDecoder.decode(body) : text;
}

function operationFromTarget(target: string | null): string | undefined {
  if (target === null || !target.startsWith(TARGET_PREFIX)) return undefined;
  const name = target.slice(TARGET_PREFIX.length);
  return Object.hasOwn(OPERATIONS, name) ? name : undefined;
}

/** Returns whether the request carries a query-string SigV4 signature instead of a header. */
function isPresigned(request: Request): boolean {
  return new URL(request.url).searchParams.has("X-Amz-Signature");
}

function errorResponse(
  context: Context,
  requestId: string,
  error: unknown,
  logger: Logger,
): Response {
  const request = context.req.raw;
  let clientError: DynamoDBError;
  if (error instanceof DynamoDBError) {
    clientError = error;
  } else {
    logger.error("request.failed", { requestId, error });
    clientError = internalServerError(error);
  }
  const body = clientError.message === ""
    ? { __type: errorType(clientError) }
    : clientError.toBody();
  const contentType = request.headers.get("content-type")?.startsWith("application/json")
    ? "application/json"
    : "application/x-amz-json-1.0";
  return jsonResponse(body, clientError.status, requestId, contentType, request);
}

function errorType(error: DynamoDBError): string {
  return `${error.namespace}#${error.type}`;
}

function jsonResponse(
  value: unknown,
  status: number,
  requestId: string,
  contentType: string,
  request: Request,
): Response {
  return textResponse(JSON.stringify(value), status, requestId, contentType, request);
}

function textResponse(
  text: string,
  status: number,
  requestId: string,
  contentType: string,
  request: Request,
): Response {
  // crc32 of a string covers its UTF-8 encoding, which is exactly the body Deno sends for it.
  const headers: Record<string, string> = {
    "content-type": contentType,
    "x-amzn-requestid": requestId,
    "x-amz-crc32": String(crc32(text) >>> 0),
  };
  if (request.headers.has("origin")) headers["access-control-allow-origin"] = "*";
  return new Response(text, { status, headers });
}

function corsPreflight(request: Request, requestId: string): Response {
  const headers = new Headers({
    "x-amzn-requestid": requestId,
    "access-control-allow-origin": "*",
    "access-control-max-age": "172800",
    "access-control-expose-headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32,Date",
  });
  const requestedHeaders = request.headers.get("access-control-request-headers");
  if (requestedHeaders) headers.set("access-control-allow-headers", requestedHeaders);
  const requestedMethod = request.headers.get("access-control-request-method");
  if (requestedMethod) headers.set("access-control-allow-methods", requestedMethod);
  return new Response(null, { status: 200, headers });
}

/**
 * Generates 52-character upper-case alphanumeric request ids: a random per-process prefix plus a
 * counter, so ids are unique within a process and unlikely to repeat across restarts.
 */
class RequestIdGenerator {
  readonly #prefix: string;
  #counter = 0;

  constructor() {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const random = crypto.getRandomValues(new Uint8Array(40));
    this.#prefix = Array.from(random, (byte) => alphabet[byte % alphabet.length]).join("");
  }

  next(): string {
    this.#counter++;
    return this.#prefix + this.#counter.toString(36).toUpperCase().padStart(12, "0");
  }
}
