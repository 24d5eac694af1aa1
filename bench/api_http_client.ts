/**
 * Minimal HTTP/1.1 keep-alive client over one TCP connection, used by the API benchmark as its
 * load generator.
 *
 * `fetch` spends more CPU per request than a small server does, which would make the client the
 * bottleneck on a 2-core machine. This client writes pre-built request bytes and parses only the
 * status line, `Content-Length` and chunked bodies. One request is in flight per connection at a
 * time (no pipelining), as with an SDK's keep-alive pool.
 *
 * Runs in the benchmark process only; it trusts the server to speak valid HTTP/1.1.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Size of each socket read. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Largest response header block accepted before the connection is declared broken. */
const HEADER_SIZE_MAX_BYTES = 64 * 1024;
const CR = 13;
const LF = 10;

/** A parsed response: status code and the raw body bytes. */
export interface HttpResponse {
  status: number;
  body: Uint8Array;
}

/** Builds the bytes of a POST request with the given headers and body. */
export function buildPostRequest(
  hostHeader: string,
  headers: Record<string, string>,
  body: string,
): Uint8Array {
  const bodyBytes = encoder.encode(body);
  let head = `POST / HTTP/1.1\r\nHost: ${hostHeader}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${bodyBytes.length}\r\n\r\n`;
  const headBytes = encoder.encode(head);
  const request = new Uint8Array(headBytes.length + bodyBytes.length);
  request.set(headBytes, 0);
  request.set(bodyBytes, headBytes.length);
  return request;
}

/** One keep-alive TCP connection that sends requests one at a time. */
export class KeepAliveConnection {
  readonly #connection: Deno.TcpConn;
  #buffer = new Uint8Array(READ_CHUNK_BYTES);
  /** Bytes of `#buffer` in [start, end) are received but not yet parsed. */
  #start = 0;
  #end = 0;

  private constructor(connection: Deno.TcpConn) {
    this.#connection = connection;
  }

  /** Opens a connection with Nagle's algorithm off. */
  static async open(hostname: string, port: number): Promise<KeepAliveConnection> {
    const connection = await Deno.connect({ hostname, port });
    connection.setNoDelay(true);
    return new KeepAliveConnection(connection);
  }

  /** Sends `request` (complete HTTP/1.1 bytes) and reads the whole response. */
  async send(request: Uint8Array): Promise<HttpResponse> {
    let written = 0;
    while (written < request.length) {
      written += await this.#connection.write(request.subarray(written));
    }
    const headerEnd = await this.#readUntilHeaderEnd();
    const head = decoder.decode(this.#buffer.subarray(this.#start, headerEnd));
    this.#start = headerEnd + 4;

    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (lengthMatch) return { status, body: await this.#readBytes(Number(lengthMatch[1])) };
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      return { status, body: await this.#readChunked() };
    }
    return { status, body: new Uint8Array(0) };
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.#connection.close();
    } catch {
      // Already closed by the peer.
    }
  }

  async #fill(): Promise<void> {
    if (this.#start > 0 && this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end === this.#buffer.length) {
      const pending = this.#end - this.#start;
      const grown = new Uint8Array(Math.max(this.#buffer.length, pending * 2, READ_CHUNK_BYTES));
      grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = grown;
      this.#start = 0;
      this.#end = pending;
    }
    const readCount = await this.#connection.read(this.#buffer.subarray(this.#end));
    if (readCount === null) throw new Error("connection closed by the server");
    this.#end += readCount;
  }

  async #readUntilHeaderEnd(): Promise<number> {
    let searchFrom = this.#start;
    while (true) {
      for (let index = searchFrom; index + 3 < this.#end; index += 1) {
        if (
          this.#buffer[index] === CR && this.#buffer[index + 1] === LF &&
          this.#buffer[index + 2] === CR && this.#buffer[index + 3] === LF
        ) return index;
      }
      if (this.#end - this.#start > HEADER_SIZE_MAX_BYTES) {
        throw new Error("response header block is too large");
      }
      searchFrom = Math.max(this.#start, this.#end - 3);
      const offset = this.#start;
      await this.#fill();
      searchFrom += this.#start - offset;
    }
  }

  async #readBytes(count: number): Promise<Uint8Array> {
    while (this.#end - this.#start < count) await this.#fill();
    const bytes = this.#buffer.slice(this.#start, this.#start + count);
    this.#start += count;
    return bytes;
  }

  async #readLine(): Promise<string> {
    while (true) {
      for (let index = this.#start; index + 1 < this.#end; index += 1) {
        if (this.#buffer[index] === CR && this.#buffer[index + 1] === LF) {
          const line = decoder.decode(this.#buffer.subarray(this.#start, index));
          this.#start = index + 2;
          return line;
        }
      }
      await this.#fill();
    }
  }

  async #readChunked(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const size = parseInt(await this.#readLine(), 16);
      if (size === 0) {
        await this.#readLine();
        break;
      }
      chunks.push(await this.#readBytes(size));
      total += size;
      await this.#readLine();
    }
    const body = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    return body;
  }
}
