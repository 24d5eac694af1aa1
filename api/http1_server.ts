/**
 * Strata's HTTP/1.1 server: keep-alive TCP connections parsed in JavaScript, each request passed
 * to the DynamoDB {@linkcode ProtocolHandler} and each response written with one socket write.
 *
 * It exists for speed. `Deno.serve` costs about twice the CPU per small request, and it writes a
 * response's head and body as two TCP sends, which doubles the wake-ups on both sides. DynamoDB
 * clients (the AWS SDKs and CLI) speak plain HTTP/1.1 with keep-alive, which is what this
 * server implements (RFC 9112):
 *
 * - request framing by `Content-Length` or `Transfer-Encoding: chunked` (trailers ignored);
 *   both at once, or any other body framing, gets 400 and the connection is closed;
 * - keep-alive by default for HTTP/1.1, opt-in for HTTP/1.0, `Connection: close` honoured;
 *   pipelined requests get their responses in order;
 * - `Expect: 100-continue` gets an interim `100 Continue` before the body is read;
 * - bodies over {@linkcode MAX_REQUEST_BODY_BYTES} are not read: the protocol answers 413 and
 *   the connection is closed; a request head over {@linkcode MAX_HEAD_BYTES} gets 431;
 * - connections idle for {@linkcode Http1ServerOptions.idleTimeoutMs}, or stuck in the middle
 *   of a request for {@linkcode Http1ServerOptions.requestTimeoutMs}, are closed.
 *
 * `shutdown` stops accepting, closes idle connections at once, lets each connection finish the
 * request it is handling (answered with `Connection: close`), then resolves `finished`. A
 * request still arriving 2 s (`SHUTDOWN_READ_GRACE_MS`) after shutdown began is dropped.
 *
 * @module
 */

import {
  bodyChecksum,
  MAX_REQUEST_BODY_BYTES,
  type ProtocolHandler,
  type ProtocolRequest,
  type ProtocolResponse,
} from "./protocol.ts";
import type { Logger } from "../util/logger.ts";

/** Largest request line plus headers accepted; larger heads get 431. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Initial size of a connection's receive buffer; it grows for large bodies and shrinks back. */
const RECEIVE_BUFFER_BYTES = 16 * 1024;
/** Bytes reserved in front of an encoded body for the response head. */
const HEAD_RESERVE_BYTES = 2048;
/** Initial size of a connection's reusable response buffer. */
const SEND_BUFFER_BYTES = 16 * 1024;
/** Largest response buffer a connection keeps; larger responses get a buffer of their own. */
const SEND_BUFFER_RETAINED_MAX_BYTES = 64 * 1024;
/** Interval of the timer that refreshes the clock and closes timed-out connections. */
const SWEEP_INTERVAL_MS = 1000;
/** Maximum pause before retrying a failed accept; the pause doubles from 10 ms up to this. */
const ACCEPT_RETRY_DELAY_MAX_MS = 1000;
/**
 * A connection closing after its last response is closed once its peer sends nothing for this
 * long, instead of waiting for the peer to close (see `Connection.#discardInput`).
 */
const LINGER_TIMEOUT_MS = 2000;
/** After shutdown begins, connections still receiving a request get this long to finish it. */
const SHUTDOWN_READ_GRACE_MS = 2000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

const CR = 13;
const LF = 10;
const encoder = new TextEncoder();
const headDecoder = new TextDecoder("utf-8");

const REASON_PHRASES: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const CONTINUE_BYTES = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
const TOKEN_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Options of {@linkcode Http1Server.listen}. */
export interface Http1ServerOptions {
  hostname: string;
  /** Port to listen on; 0 picks a free one (see {@linkcode Http1Server.port}). */
  port: number;
  handler: ProtocolHandler;
  logger: Logger;
  /** A keep-alive connection with no request for this long is closed. */
  idleTimeoutMs?: number;
  /** A connection that has sent part of a request but not all of it for this long is closed. */
  requestTimeoutMs?: number;
}

/** A listening HTTP/1.1 server. */
export class Http1Server {
  readonly hostname: string;
  readonly port: number;
  /** Resolves once the server has shut down and every connection is closed. */
  readonly finished: Promise<void>;
  readonly #listener: Deno.TcpListener;
  readonly #options: Required<Http1ServerOptions>;
  readonly #connections = new Set<Connection>();
  readonly #sweepTimer: ReturnType<typeof setInterval>;
  #shuttingDown = false;
  /** Server clock when shutdown began; meaningful only once `#shuttingDown` is set. */
  #shutdownStartMs = 0;
  /** Wall-clock milliseconds, refreshed by the sweep timer, which is precise enough for timeouts. */
  #nowMs = Date.now();
  #dateHeader = new Date().toUTCString();

  private constructor(listener: Deno.TcpListener, options: Required<Http1ServerOptions>) {
    this.#listener = listener;
    this.#options = options;
    const address = listener.addr as Deno.NetAddr;
    this.hostname = address.hostname;
    this.port = address.port;
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.finished = this.#acceptLoop();
  }

  /** Starts listening; throws if the address is unavailable. */
  static listen(options: Http1ServerOptions): Http1Server {
    const listener = Deno.listen({ hostname: options.hostname, port: options.port });
    return new Http1Server(listener, {
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      ...options,
    });
  }

  /** Stops accepting, closes idle connections and lets busy ones finish their request. */
  shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#shutdownStartMs = this.#nowMs;
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      for (const connection of this.#connections) {
        if (connection.state === "idle") connection.close();
      }
    }
    return this.finished;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  get nowMs(): number {
    return this.#nowMs;
  }

  get dateHeader(): string {
    return this.#dateHeader;
  }

  get handler(): ProtocolHandler {
    return this.#options.handler;
  }

  get logger(): Logger {
    return this.#options.logger;
  }

  async #acceptLoop(): Promise<void> {
    let retryDelayMs = 0;
    while (!this.#shuttingDown) {
      let socket: Deno.TcpConn;
      try {
        socket = await this.#listener.accept();
      } catch (error) {
        if (this.#shuttingDown || error instanceof Deno.errors.BadResource) break;
        // Accept fails while the process is out of file descriptors (EMFILE). The connection
        // waits in the listen backlog, so the server pauses and retries instead of stopping.
        retryDelayMs = Math.min(Math.max(2 * retryDelayMs, 10), ACCEPT_RETRY_DELAY_MAX_MS);
        this.#options.logger.error("http.accept_failed", { error, retryDelayMs });
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
        continue;
      }
      retryDelayMs = 0;
      const connection = new Connection(this, socket);
      this.#connections.add(connection);
      connection.serve().finally(() => this.#connections.delete(connection));
    }
    if (!this.#shuttingDown) this.#shutdownStartMs = this.#nowMs;
    this.#shuttingDown = true;
    for (const connection of this.#connections) {
      if (connection.state === "idle") connection.close();
    }
    await Promise.all([...this.#connections].map((connection) => connection.done));
    clearInterval(this.#sweepTimer);
  }

  #sweep(): void {
    this.#nowMs = Date.now();
    this.#dateHeader = new Date(this.#nowMs).toUTCString();
    for (const connection of this.#connections) {
      const waitedMs = this.#nowMs - connection.sinceMs;
      if (connection.state === "idle" && waitedMs > this.#options.idleTimeoutMs) {
        connection.close();
      } else if (connection.state === "reading" && waitedMs > this.#options.requestTimeoutMs) {
        this.#options.logger.debug("http.request_timed_out", { waitedMs });
        connection.close();
      } else if (
        connection.state === "reading" && this.#shuttingDown &&
        this.#nowMs - this.#shutdownStartMs > SHUTDOWN_READ_GRACE_MS
      ) {
        // A request still arriving this long after shutdown began is dropped, so one slow
        // client cannot hold the process for the whole request timeout.
        this.#options.logger.debug("http.request_dropped_at_shutdown", { waitedMs });
        connection.close();
      }
    }
  }
}

/** Activity of a connection, used by shutdown and the timeouts. */
type ConnectionState = "idle" | "reading" | "handling" | "closed";

/** A parsed request head plus its body. */
class ParsedRequest implements ProtocolRequest {
  readonly method: string;
  readonly version: string;
  readonly path: string;
  readonly query: string;
  readonly #headers: Map<string, string>;

  constructor(
    head: RequestHead,
    readonly body: Uint8Array | undefined,
    readonly keepAlive: boolean,
    /** The body was not read (too large): the connection must close after the response. */
    readonly bodySkipped: boolean,
  ) {
    this.method = head.method;
    this.version = head.version;
    this.path = head.path;
    this.query = head.query;
    this.#headers = head.headers;
  }

  header(lowerCaseName: string): string | undefined {
    return this.#headers.get(lowerCaseName);
  }
}

/** The request line and header fields of a request. */
interface RequestHead {
  method: string;
  path: string;
  query: string;
  version: string;
  /** Field values by lower-case name; repeated fields joined with ", ". */
  headers: Map<string, string>;
}

/** An HTTP-level failure, sent as a bare status without calling the protocol handler. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** One client connection; requests are handled one after another. */
class Connection {
  state: ConnectionState = "idle";
  /** When the current state began (server clock). */
  sinceMs: number;
  done: Promise<void> = Promise.resolve();
  readonly #server: Http1Server;
  readonly #socket: Deno.TcpConn;
  #buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  /** Received bytes not yet consumed are `#buffer[#start, #end)`. */
  #start = 0;
  #end = 0;
  #eof = false;
  #sendBuffer = new Uint8Array(SEND_BUFFER_BYTES);

  constructor(server: Http1Server, socket: Deno.TcpConn) {
    this.#server = server;
    this.#socket = socket;
    this.sinceMs = server.nowMs;
  }

  serve(): Promise<void> {
    this.done = this.#serve();
    return this.done;
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }

  async #serve(): Promise<void> {
    try {
      this.#socket.setNoDelay(true);
      while (this.state !== "closed") {
        let request: ParsedRequest | undefined;
        try {
          request = await this.#readRequest();
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          this.#server.logger.debug("http.bad_request", { status: error.status, error });
          await this.#sendBare(error.status);
          await this.#discardInput();
          break;
        }
        if (request === undefined) break;
        this.#setState("handling");
        let response: ProtocolResponse;
        try {
          response = await this.#server.handler(request);
        } catch (error) {
          this.#server.logger.error("http.handler_failed", { error });
          await this.#sendBare(500);
          break;
        }
        const keepAlive = request.keepAlive && !request.bodySkipped &&
          !this.#server.shuttingDown;
        // An HTTP/1.0 client assumes the connection closes unless the response sends keep-alive.
        let connectionOption: "close" | "keep-alive" | undefined;
        if (!keepAlive) connectionOption = "close";
        else if (request.version === "HTTP/1.0") connectionOption = "keep-alive";
        await this.#send(response, connectionOption, request.method === "HEAD");
        if (!keepAlive) {
          await this.#discardInput();
          break;
        }
        this.#setState("idle");
        this.#releaseLargeBuffer();
      }
    } catch (error) {
      if (this.state !== "closed") {
        this.#server.logger.debug("http.connection_failed", { error });
      }
    } finally {
      this.close();
    }
  }

  #setState(state: ConnectionState): void {
    if (this.state === "closed") return;
    this.state = state;
    this.sinceMs = this.#server.nowMs;
  }

  /**
   * Reads the next request. Returns undefined when the peer closed the connection between
   * requests, or the connection was closed while idle.
   */
  async #readRequest(): Promise<ParsedRequest | undefined> {
    const bodyStart = await this.#readHead();
    if (bodyStart === undefined) return undefined;
    const head = decodeLatin1(this.#buffer.subarray(this.#start, bodyStart));
    this.#start = bodyStart;
    const request = parseHead(head);

    const transferEncoding = request.headers.get("transfer-encoding");
    const contentLength = request.headers.get("content-length");
    let body: Uint8Array | undefined;
    let bodySkipped = false;
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(",").map((coding) => coding.trim());
      // Chunked must be the last coding and applied once, and HTTP/1.0 has no transfer codings
      // (RFC 9112, section 6.1). Other framing could be read differently by a proxy in front.
      if (
        codings.indexOf("chunked") !== codings.length - 1 || request.version !== "HTTP/1.1"
      ) {
        throw new HttpError(400, "request body length cannot be determined");
      }
      await this.#sendContinue(request);
      body = await this.#readChunkedBody();
      bodySkipped = body === undefined;
    } else if (contentLength !== undefined) {
      if (!/^\d{1,16}$/.test(contentLength)) throw new HttpError(400, "invalid Content-Length");
      const length = Number(contentLength);
      if (length > MAX_REQUEST_BODY_BYTES) {
        bodySkipped = true;
      } else {
        if (this.#end - this.#start < length) await this.#sendContinue(request);
        body = await this.#readExactly(length);
      }
    } else {
      body = new Uint8Array(0);
    }

    const connectionOptions = request.headers.get("connection")?.toLowerCase() ?? "";
    const keepAlive = request.version === "HTTP/1.1"
      ? !/(^|[\s,])close($|[\s,])/.test(connectionOptions)
      : /(^|[\s,])keep-alive($|[\s,])/.test(connectionOptions);
    return new ParsedRequest(request, body, keepAlive, bodySkipped);
  }

  /**
   * Closes the sending side and reads until the peer closes or stays silent for
   * {@linkcode LINGER_TIMEOUT_MS}. Unread input (a skipped body, or requests pipelined after the
   * last one) would otherwise make the kernel reset the connection before the peer has read the
   * response.
   */
  async #discardInput(): Promise<void> {
    if (this.state === "closed") return;
    this.#setState("reading");
    await this.#socket.closeWrite();
    let discarded = 0;
    while (discarded <= 2 * MAX_REQUEST_BODY_BYTES) {
      this.#start = this.#end = 0;
      // A peer that has stopped sending has had time to read the response.
      const lingerTimer = setTimeout(() => this.close(), LINGER_TIMEOUT_MS);
      const received = await this.#fill();
      clearTimeout(lingerTimer);
      if (!received) return;
      discarded += this.#end;
    }
  }

  /**
   * Reads until a complete request head is buffered; returns the offset just after the empty
   * line that ends it. Lines may end in CRLF or in a bare LF, which RFC 9112, section 2.2,
   * allows a recipient to accept and `Deno.serve` accepts.
   */
  async #readHead(): Promise<number | undefined> {
    let searchFrom = this.#start;
    while (true) {
      // Empty lines before a request line are allowed and skipped.
      while (this.#start < this.#end) {
        if (this.#buffer[this.#start] === LF) {
          this.#start += 1;
        } else if (
          this.#buffer[this.#start] === CR && this.#start + 1 < this.#end &&
          this.#buffer[this.#start + 1] === LF
        ) {
          this.#start += 2;
        } else {
          break;
        }
        searchFrom = Math.max(searchFrom, this.#start);
      }
      const buffer = this.#buffer;
      for (let index = Math.max(searchFrom, this.#start + 1); index < this.#end; index++) {
        if (buffer[index] !== LF) continue;
        const previous = buffer[index - 1];
        const emptyLine = previous === LF ||
          (previous === CR && index - 2 >= this.#start && buffer[index - 2] === LF);
        if (!emptyLine) continue;
        if (index - this.#start > MAX_HEAD_BYTES) {
          throw new HttpError(431, "request head is too large");
        }
        // A pipelined head may be complete without a read, but its body is still to come.
        if (this.state === "idle") this.#setState("reading");
        return index + 1;
      }
      if (this.#end - this.#start > MAX_HEAD_BYTES) {
        throw new HttpError(431, "request head is too large");
      }
      searchFrom = this.#end;
      const consumedBefore = this.#start;
      if (this.#start === this.#end && this.state === "idle") {
        // Nothing of the next request yet; an EOF here is a normal close.
        if (!(await this.#fill())) return undefined;
      } else {
        // The request timeout runs from the first byte of the request, not from the latest one.
        if (this.state === "idle") this.#setState("reading");
        if (!(await this.#fill())) throw new ClosedMidRequest();
      }
      if (this.state === "idle") this.#setState("reading");
      searchFrom -= consumedBefore - this.#start;
    }
  }

  /** Returns `length` body bytes, valid until the next read on this connection. */
  async #readExactly(length: number): Promise<Uint8Array> {
    this.#ensureCapacity(length);
    while (this.#end - this.#start < length) {
      if (!(await this.#fill())) throw new ClosedMidRequest();
    }
    const body = this.#buffer.subarray(this.#start, this.#start + length);
    this.#start += length;
    return body;
  }

  /** Reads a chunked body; returns undefined (and stops reading) once it passes the limit. */
  async #readChunkedBody(): Promise<Uint8Array | undefined> {
    // Chunks are copied into one growing buffer: a body may have millions of tiny chunks, too
    // many to keep as separate arrays or to pass as arguments.
    let body = new Uint8Array(0);
    let totalBytes = 0;
    while (true) {
      const sizeLine = await this.#readLine();
      const sizeText = sizeLine.split(";")[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new HttpError(400, "invalid chunk size");
      const size = parseInt(sizeText, 16);
      if (size === 0) break;
      if (totalBytes + size > MAX_REQUEST_BODY_BYTES) return undefined;
      if (totalBytes + size > body.length) {
        const capacity = Math.max(totalBytes + size, 2 * body.length);
        const grown = new Uint8Array(Math.min(capacity, MAX_REQUEST_BODY_BYTES));
        grown.set(body.subarray(0, totalBytes));
        body = grown;
      }
      body.set(await this.#readExactly(size), totalBytes);
      totalBytes += size;
      if ((await this.#readLine()) !== "") throw new HttpError(400, "chunk not followed by CRLF");
    }
    // Trailer fields, ignored, end with an empty line.
    while ((await this.#readLine()) !== "");
    return body.subarray(0, totalBytes);
  }

  async #readLine(): Promise<string> {
    let searchFrom = this.#start;
    while (true) {
      for (let index = searchFrom; index + 1 < this.#end; index++) {
        if (this.#buffer[index] === CR && this.#buffer[index + 1] === LF) {
          const line = headDecoder.decode(this.#buffer.subarray(this.#start, index));
          this.#start = index + 2;
          return line;
        }
      }
      if (this.#end - this.#start > MAX_HEAD_BYTES) throw new HttpError(400, "line too long");
      searchFrom = Math.max(this.#start, this.#end - 1);
      const consumedBefore = this.#start;
      if (!(await this.#fill())) throw new ClosedMidRequest();
      searchFrom -= consumedBefore - this.#start;
    }
  }

  /** Makes room for `length` more unconsumed bytes, moving or growing the buffer. */
  #ensureCapacity(length: number): void {
    const needed = this.#end - this.#start + Math.max(length, 1);
    if (this.#start + needed <= this.#buffer.length) return;
    if (needed <= this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#end -= this.#start;
    this.#start = 0;
  }

  /** Reads more bytes into the buffer; returns false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end === this.#buffer.length) this.#ensureCapacity(RECEIVE_BUFFER_BYTES);
    let count: number | null;
    try {
      count = await this.#socket.read(this.#buffer.subarray(this.#end));
    } catch (error) {
      if (this.state === "closed") return false;
      throw error;
    }
    if (count === null) {
      this.#eof = true;
      return false;
    }
    this.#end += count;
    return true;
  }

  #releaseLargeBuffer(): void {
    if (
      this.#buffer.length > RECEIVE_BUFFER_BYTES && this.#end - this.#start <= RECEIVE_BUFFER_BYTES
    ) {
      const small = new Uint8Array(RECEIVE_BUFFER_BYTES);
      small.set(this.#buffer.subarray(this.#start, this.#end));
      this.#end -= this.#start;
      this.#start = 0;
      this.#buffer = small;
    }
  }

  async #sendContinue(request: { version: string; headers: Map<string, string> }): Promise<void> {
    if (
      request.version === "HTTP/1.1" &&
      request.headers.get("expect")?.toLowerCase() === "100-continue"
    ) {
      await this.#write(CONTINUE_BYTES);
    }
  }

  /**
   * Writes a response in one socket write: head and body encoded into one buffer.
   * `connectionOption` is the `Connection` header value to send, if any.
   */
  async #send(
    response: ProtocolResponse,
    connectionOption: "close" | "keep-alive" | undefined,
    omitBody: boolean,
  ): Promise<void> {
    const body = response.body;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const capacity = HEAD_RESERVE_BYTES + body.length * 3;
    if (capacity > this.#sendBuffer.length && capacity <= SEND_BUFFER_RETAINED_MAX_BYTES) {
      this.#sendBuffer = new Uint8Array(SEND_BUFFER_RETAINED_MAX_BYTES);
    }
    const buffer = capacity <= this.#sendBuffer.length
      ? this.#sendBuffer
      : new Uint8Array(capacity);
    const bodyLength = encoder.encodeInto(body, buffer.subarray(HEAD_RESERVE_BYTES)).written;
    const bodyBytes = buffer.subarray(HEAD_RESERVE_BYTES, HEAD_RESERVE_BYTES + bodyLength);

    let head = `HTTP/1.1 ${response.status} ${REASON_PHRASES[response.status] ?? "Unknown"}\r\n`;
    for (const [name, value] of response.headers) head += `${name}: ${value}\r\n`;
    head += `x-amz-crc32: ${bodyChecksum(bodyBytes)}\r\ncontent-length: ${bodyLength}\r\n` +
      `date: ${this.#server.dateHeader}\r\n`;
    if (connectionOption !== undefined) head += `connection: ${connectionOption}\r\n`;
    head += "\r\n";

    if (omitBody) return await this.#write(encodeLatin1(head));
    // A head is usually ASCII, one byte per code unit: encode it straight in front of the body.
    if (head.length <= HEAD_RESERVE_BYTES) {
      const headStart = HEAD_RESERVE_BYTES - head.length;
      const { read, written } = encoder.encodeInto(
        head,
        buffer.subarray(headStart, HEAD_RESERVE_BYTES),
      );
      if (read === head.length && written === head.length) {
        return await this.#write(buffer.subarray(headStart, HEAD_RESERVE_BYTES + bodyLength));
      }
    }
    const headBytes = encodeLatin1(head);
    const joined = new Uint8Array(headBytes.length + bodyLength);
    joined.set(headBytes);
    joined.set(bodyBytes, headBytes.length);
    await this.#write(joined);
  }

  /** Sends a body-less error response and leaves the connection to be closed. */
  async #sendBare(status: number): Promise<void> {
    if (this.state === "closed") return;
    const head = `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? "Unknown"}\r\n` +
      `content-length: 0\r\ndate: ${this.#server.dateHeader}\r\nconnection: close\r\n\r\n`;
    try {
      await this.#write(encoder.encode(head));
    } catch {
      // The peer is gone; nothing more to tell it.
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      written += await this.#socket.write(bytes.subarray(written));
    }
  }
}

/** The peer closed the connection in the middle of a request. */
class ClosedMidRequest extends Error {
  constructor() {
    super("connection closed in the middle of a request");
  }
}

/**
 * Decodes a request head as ISO-8859-1, one character per byte, as `Deno.serve` does, so that
 * non-ASCII header values reach the protocol and come back in response headers unchanged.
 */
function decodeLatin1(bytes: Uint8Array): string {
  const text = headDecoder.decode(bytes);
  // An ASCII head, the usual case, reads the same in UTF-8.
  if (!/[\u0080-\uffff]/.test(text)) return text;
  let latin1 = "";
  for (let index = 0; index < bytes.length; index += 8192) {
    latin1 += String.fromCharCode(...bytes.subarray(index, index + 8192));
  }
  return latin1;
}

/**
 * Encodes a response head as ISO-8859-1, the inverse of {@linkcode decodeLatin1}. Header values
 * come from request headers or ASCII text, so no code unit is above U+00FF; one that were would
 * be sent as "?".
 */
function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    bytes[index] = code <= 0xff ? code : 0x3f;
  }
  return bytes;
}

/** Parses a request line and header fields (RFC 9112, section 2 to 5). */
function parseHead(head: string): RequestHead {
  // The head ends with an empty line, so splitting at LF leaves two empty strings at the end.
  const lines = head.split("\n").slice(0, -2).map((line) => (
    line.endsWith("\r") ? line.slice(0, -1) : line
  ));
  const requestLine = lines[0]!;
  const firstSpace = requestLine.indexOf(" ");
  const lastSpace = requestLine.lastIndexOf(" ");
  if (firstSpace <= 0 || lastSpace === firstSpace) throw new HttpError(400, "bad request line");
  const method = requestLine.slice(0, firstSpace);
  const target = requestLine.slice(firstSpace + 1, lastSpace);
  const version = requestLine.slice(lastSpace + 1);
  if (!TOKEN_PATTERN.test(method) || target === "" || target.includes(" ")) {
    throw new HttpError(400, "bad request line");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    throw new HttpError(version.startsWith("HTTP/") ? 505 : 400, "unsupported HTTP version");
  }

  const headers = new Map<string, string>();
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "bad header line");
    const name = line.slice(0, colon).toLowerCase();
    // A name with whitespace (including an obsolete folded line) is rejected, as RFC 9112 requires.
    if (!TOKEN_PATTERN.test(name)) throw new HttpError(400, "bad header name");
    const rawValue = line.slice(colon + 1);
    // A bare CR or LF would split the field (some values are echoed into response headers), and
    // RFC 9110, section 5.5, forbids CR, LF and NUL in field values.
    if (/[\r\n\0]/.test(rawValue)) throw new HttpError(400, "invalid character in header value");
    const value = rawValue.trim();
    const previous = headers.get(name);
    if (previous === undefined) {
      headers.set(name, value);
    } else if (name === "content-length") {
      if (previous !== value) throw new HttpError(400, "conflicting Content-Length");
    } else {
      headers.set(name, `${previous}, ${value}`);
    }
  }
  if (headers.has("transfer-encoding") && headers.has("content-length")) {
    // Such a request may be framed differently by a proxy in front (request smuggling), so it is
    // rejected, as RFC 9112, section 6.1, allows and as Deno.serve does.
    throw new HttpError(400, "both Transfer-Encoding and Content-Length present");
  }

  let path = target;
  let query = "";
  const questionMark = target.indexOf("?");
  if (questionMark >= 0) {
    path = target.slice(0, questionMark);
    query = target.slice(questionMark + 1);
  }
  if (/^https?:\/\//i.test(path)) {
    // Absolute form: keep only the path.
    const slash = path.indexOf("/", path.indexOf("//") + 2);
    path = slash < 0 ? "/" : path.slice(slash);
  }
  return { method, path, query, version, headers };
}
