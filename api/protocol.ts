/**
 * The DynamoDB JSON 1.0 protocol, independent of the HTTP server that carries it: request
 * checks, authentication presence check, operation dispatch and DynamoDB-shaped responses.
 *
 * Two transports feed it: Strata's own HTTP/1.1 server (`http1_server.ts`, the default) and a
 * Hono application on `Deno.serve` (`server.ts`). Each turns its request into a
 * {@linkcode ProtocolRequest} and writes the {@linkcode ProtocolResponse} back, adding
 * `x-amz-crc32` (CRC-32 of the exact body bytes, which the AWS CLI and the Go and Java SDKs
 * verify) with {@linkcode bodyChecksum}.
 *
 * Every response carries `x-amzn-RequestId`. This is the only place where errors become
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

/** An HTTP request as the protocol needs it. */
export interface ProtocolRequest {
  method: string;
  /** Path of the request target, without the query string. */
  path: string;
  /** Query string without the leading `?`; empty when there is none. */
  query: string;
  /** Returns the value of a header by its lower-case name. */
  header(lowerCaseName: string): string | undefined;
  /**
   * The complete body, or undefined when it exceeded {@linkcode MAX_REQUEST_BODY_BYTES}. It only
   * needs to stay valid until {@linkcode ProtocolHandler} returns.
   */
  body: Uint8Array | undefined;
}

/** A response; the transport adds `x-amz-crc32`, `Content-Length` and `Date`. */
export interface ProtocolResponse {
  status: number;
  /** Response headers other than the checksum, with lower-case names. */
  headers: [string, string][];
  body: string;
}

/** Handles one request; never rejects. */
export type ProtocolHandler = (request: ProtocolRequest) => Promise<ProtocolResponse>;

/** Dependencies of the protocol on the rest of the server. */
export interface ProtocolOptions {
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

/** Creates the protocol handler that both transports call. */
export function createProtocolHandler(options: ProtocolOptions): ProtocolHandler {
  const operations = options.operations ?? OPERATIONS;
  const requestIds = new RequestIdGenerator();
  return async (request) => {
    const requestId = requestIds.next();
    try {
      return await handleRequest(request, requestId, operations, options);
    } catch (error) {
      if (error instanceof AssertionError) options.onAssertionFailure?.(error);
      return errorResponse(request, requestId, error, options.logger);
    }
  };
}

/** Returns the `x-amz-crc32` value for a body: the CRC-32 of its UTF-8 bytes, unsigned. */
export function bodyChecksum(body: string | Uint8Array): string {
  return String(crc32(body) >>> 0);
}

async function handleRequest(
  request: ProtocolRequest,
  requestId: string,
  operations: Record<string, OperationHandler>,
  options: ProtocolOptions,
): Promise<ProtocolResponse> {
  if (request.method === "OPTIONS" && request.header("origin") !== undefined) {
    return corsPreflight(request, requestId);
  }
  if (request.method === "GET" && request.path === "/") {
    return textResponse(HEALTH_BODY, 200, requestId, "text/plain", request);
  }

  const contentType = mediaType(request.header("content-type"));
  const body = request.body;
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
  const operationName = operationFromTarget(request.header("x-amz-target"));
  const handler = operationName === undefined ? undefined : operations[operationName];
  if (handler === undefined) {
    throw new DynamoDBError("UnknownOperationException", "", {
      namespace: CORAL_SERVICE_NAMESPACE,
    });
  }
  if (!request.header("authorization")?.trim() && !isPresigned(request)) {
    throw new DynamoDBError(
      "MissingAuthenticationTokenException",
      "Request is missing Authentication Token",
      { namespace: CORAL_SERVICE_NAMESPACE },
    );
  }
  if (parsed === undefined) {
    throw new DynamoDBError("SerializationException", "", { namespace: CORAL_SERVICE_NAMESPACE });
  }

  const context = options.createContext(requestId, request.header("host") ?? "localhost");
  const result = await handler(parsed, context);
  if (result === undefined) return textResponse("", 200, requestId, responseType, request);
  if (result instanceof JsonText) {
    return textResponse(result.text, 200, requestId, responseType, request);
  }
  return textResponse(JSON.stringify(result), 200, requestId, responseType, request);
}

/** Returns the media type of a `Content-Type` value, lower case and without parameters. */
function mediaType(contentType: string | undefined): string | undefined {
  // What SDKs send, checked first to skip the string operations on every request.
  if (contentType === "application/x-amz-json-1.0") return contentType;
  return contentType?.split(";")[0]?.trim().toLowerCase();
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

function operationFromTarget(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith(TARGET_PREFIX)) return undefined;
  const name = target.slice(TARGET_PREFIX.length);
  return Object.hasOwn(OPERATIONS, name) ? name : undefined;
}

/** Returns whether the request carries a query-string SigV4 signature instead of a header. */
function isPresigned(request: ProtocolRequest): boolean {
  return request.query !== "" && new URLSearchParams(request.query).has("X-Amz-Signature");
}

function errorResponse(
  request: ProtocolRequest,
  requestId: string,
  error: unknown,
  logger: Logger,
): ProtocolResponse {
  let clientError: DynamoDBError;
  if (error instanceof DynamoDBError) {
    clientError = error;
  } else {
    logger.error("request.failed", { requestId, error });
    clientError = internalServerError(error);
  }
  const body = clientError.message === ""
    ? { __type: `${clientError.namespace}#${clientError.type}` }
    : clientError.toBody();
  const contentType = request.header("content-type")?.startsWith("application/json")
    ? "application/json"
    : "application/x-amz-json-1.0";
  return textResponse(JSON.stringify(body), clientError.status, requestId, contentType, request);
}

function textResponse(
  body: string,
  status: number,
  requestId: string,
  contentType: string,
  request: ProtocolRequest,
): ProtocolResponse {
  const headers: [string, string][] = [
    ["content-type", contentType],
    ["x-amzn-requestid", requestId],
  ];
  if (request.header("origin") !== undefined) headers.push(["access-control-allow-origin", "*"]);
  return { status, headers, body };
}

function corsPreflight(request: ProtocolRequest, requestId: string): ProtocolResponse {
  const headers: [string, string][] = [
    ["x-amzn-requestid", requestId],
    ["access-control-allow-origin", "*"],
    ["access-control-max-age", "172800"],
    ["access-control-expose-headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32,Date"],
  ];
  const requestedHeaders = request.header("access-control-request-headers");
  if (requestedHeaders) headers.push(["access-control-allow-headers", requestedHeaders]);
  const requestedMethod = request.header("access-control-request-method");
  if (requestedMethod) headers.push(["access-control-allow-methods", requestedMethod]);
  return { status: 200, headers, body: "" };
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
