/**
 * Wire-level tests with plain `fetch` and no SDK: the JSON 1.0 protocol details that clients
 * depend on and the error responses for malformed requests.
 *
 * Method: one server per HTTP transport (`--http-server http1`, the default, and `hono`), each
 * put through the same steps. Every response, success or error, must carry a non-empty
 * `x-amzn-RequestId` and an `x-amz-crc32` equal to the CRC-32 of the exact body bytes received
 * (botocore and the Go and Java SDKs verify it). After the malformed requests the server must
 * still answer normal ones.
 *
 * @module
 */

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { startTarget } from "./sdk_support.ts";

/** A syntactically complete SigV4 header; the signature itself is not checked by Strata. */
const AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/" +
  "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
  "0".repeat(64);
/** DynamoDB's maximum request body. */
const REQUEST_BODY_MAX_BYTES = 16 * 1024 * 1024;

interface WireRequest {
  method?: string;
  /** Operation name for `X-Amz-Target`, or null to omit the header. */
  operation?: string | null;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Content type, or null to omit the header. */
  contentType?: string | null;
  /** Authorization header, or null to omit it. */
  authorization?: string | null;
}

interface WireResponse {
  status: number;
  headers: Headers;
  bodyBytes: Uint8Array;
  text: string;
}

for (const httpServer of ["http1", "hono"]) {
  Deno.test(`DynamoDB wire protocol over plain HTTP (${httpServer})`, async (t) => {
    await checkWireProtocol(t, httpServer);
  });
}

async function checkWireProtocol(t: Deno.TestContext, httpServer: string): Promise<void> {
  const target = await startTarget({ extraArgs: ["--http-server", httpServer] });

  async function send(request: WireRequest): Promise<WireResponse> {
    const headers = new Headers({ "x-amz-date": "20240101T000000Z" });
    const contentType = request.contentType === undefined
      ? "application/x-amz-json-1.0"
      : request.contentType;
    if (contentType !== null) headers.set("content-type", contentType);
    const operation = request.operation === undefined ? "ListTables" : request.operation;
    if (operation !== null) headers.set("x-amz-target", `DynamoDB_20120810.${operation}`);
    const authorization = request.authorization === undefined
      ? AUTHORIZATION
      : request.authorization;
    if (authorization !== null) headers.set("authorization", authorization);

    const method = request.method ?? "POST";
    const response = await fetch(target.endpoint + "/", {
      method,
      headers,
      body: method === "GET" ? undefined : request.body ?? "{}",
    });
    const bodyBytes = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      headers: response.headers,
      bodyBytes,
      text: new TextDecoder().decode(bodyBytes),
    };
  }

  function assertEnvelope(response: WireResponse): void {
    const requestId = response.headers.get("x-amzn-requestid");
    assert.ok(requestId !== null && requestId.length > 0, "x-amzn-RequestId header");
    const checksum = response.headers.get("x-amz-crc32");
    assert.ok(checksum !== null, "x-amz-crc32 header");
    assert.equal(checksum, String(crc32(response.bodyBytes)), "x-amz-crc32 matches the body");
  }

  function assertErrorType(response: WireResponse, status: number, type: string): void {
    assert.equal(response.status, status, `status (body: ${response.text})`);
    const body = JSON.parse(response.text);
    assert.equal(body.__type, type);
  }

  try {
    await t.step("GET /: health check answers 200", async () => {
      const response = await send({ method: "GET" });
      assert.equal(response.status, 200);
      assertEnvelope(response);
    });

    await t.step("ListTables: success carries JSON 1.0 headers", async () => {
      const first = await send({ operation: "ListTables", body: "{}" });
      assert.equal(first.status, 200);
      assertEnvelope(first);
      assert.match(first.headers.get("content-type") ?? "", /^application\/x-amz-json-1\.0/);
      assert.ok(Array.isArray(JSON.parse(first.text).TableNames));

      const second = await send({ operation: "ListTables", body: "{}" });
      assertEnvelope(second);
      assert.notEqual(
        first.headers.get("x-amzn-requestid"),
        second.headers.get("x-amzn-requestid"),
        "each response has its own request id",
      );
    });

    await t.step("content type: application/json is accepted", async () => {
      const response = await send({ contentType: "application/json", body: "{}" });
      assert.equal(response.status, 200, response.text);
      assertEnvelope(response);
    });

    await t.step("errors: ResourceNotFoundException body and envelope", async () => {
      const response = await send({
        operation: "DescribeTable",
        body: JSON.stringify({ TableName: "compat_wire_missing" }),
      });
      assertErrorType(response, 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");
      assertEnvelope(response);
      assert.equal(
        JSON.parse(response.text).message,
        "Requested resource not found: Table: compat_wire_missing not found",
      );
    });

    await t.step("errors: ValidationException uses the coral validate namespace", async () => {
      const response = await send({ operation: "ListTables", body: JSON.stringify({ Limit: 0 }) });
      assertErrorType(response, 400, "com.amazon.coral.validate#ValidationException");
      assertEnvelope(response);
      assert.equal(
        JSON.parse(response.text).message,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: " +
          "Member must have value greater than or equal to 1",
      );
    });

    await t.step("errors: malformed JSON is SerializationException", async () => {
      const response = await send({ body: '{"TableName": ' });
      assertErrorType(response, 400, "com.amazon.coral.service#SerializationException");
      assertEnvelope(response);
    });

    await t.step("errors: wrong JSON type is SerializationException", async () => {
      const response = await send({
        operation: "DescribeTable",
        body: JSON.stringify({ TableName: 5 }),
      });
      assertErrorType(response, 400, "com.amazon.coral.service#SerializationException");
      assertEnvelope(response);
      const body = JSON.parse(response.text);
      assert.equal(typeof body.Message, "string", "SerializationException uses a capital Message");
    });

    await t.step("errors: unknown operation is UnknownOperationException", async () => {
      for (const operation of ["NoSuchOperation", null]) {
        const response = await send({ operation, body: "{}" });
        assertErrorType(response, 400, "com.amazon.coral.service#UnknownOperationException");
        assertEnvelope(response);
      }
    });

    await t.step("errors: unsupported content type is rejected", async () => {
      for (const contentType of ["text/plain", null]) {
        const response = await send({ contentType, body: "{}" });
        assert.equal(response.status, 404, `content type ${contentType}: ${response.text}`);
        assert.match(response.text, /UnknownOperationException/);
        assertEnvelope(response);
      }
    });

    await t.step(
      "errors: missing Authorization is MissingAuthenticationTokenException",
      async () => {
        const response = await send({ authorization: null, body: "{}" });
        assertErrorType(
          response,
          400,
          "com.amazon.coral.service#MissingAuthenticationTokenException",
        );
        assertEnvelope(response);
        assert.equal(JSON.parse(response.text).message, "Request is missing Authentication Token");
      },
    );

    await t.step("errors: body over 16 MB is 413", async () => {
      const body = new Uint8Array(REQUEST_BODY_MAX_BYTES + 1).fill(0x20);
      const response = await send({ operation: "PutItem", body });
      assert.equal(response.status, 413);
      assertEnvelope(response);
    });

    await t.step("chunked body: read whole from many small chunks", async () => {
      const text = JSON.stringify({ Limit: 5 });
      const bytes = new TextEncoder().encode(text);
      let offset = 0;
      // One byte per chunk: the server must join them without a chunk count limit.
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(offset, offset + 1));
          offset += 1;
        },
      });
      const response = await fetch(target.endpoint + "/", {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": "DynamoDB_20120810.ListTables",
          authorization: AUTHORIZATION,
        },
        body,
      });
      const responseText = await response.text();
      assert.equal(response.status, 200, responseText);
      assert.ok(Array.isArray(JSON.parse(responseText).TableNames), responseText);
    });

    await t.step("server still answers after malformed requests", async () => {
      const response = await send({ operation: "ListTables", body: "{}" });
      assert.equal(response.status, 200, response.text);
      assertEnvelope(response);
      if (target.server !== undefined) assert.ok(target.server.running, "server process alive");
    });
  } finally {
    await target.close();
  }
}
