/**
 * In-memory table files for SSTable, merge and compaction tests: a growable
 * {@linkcode WritableFile} whose bytes can be reopened as a {@linkcode RandomAccessFile}, with a
 * read counter and byte corruption for checksum tests. No durability model: engine and crash
 * tests use `simulated_file_system.ts` instead.
 *
 * @module
 */

import type { RandomAccessFile, WritableFile } from "../file_system.ts";

/** A file that keeps every appended byte in memory. */
export class MemoryWritableFile implements WritableFile {
  #data = new Uint8Array(256);
  #sizeBytes = 0;
  syncCount = 0;
  closed = false;

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  append(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error("append to a closed memory file"));
    const needed = this.#sizeBytes + data.length;
    if (needed > this.#data.length) {
      const grown = new Uint8Array(Math.max(needed, this.#data.length * 2));
      grown.set(this.#data.subarray(0, this.#sizeBytes));
      this.#data = grown;
    }
    this.#data.set(data, this.#sizeBytes);
    this.#sizeBytes = needed;
    return Promise.resolve();
  }

  sync(): Promise<void> {
    this.syncCount++;
    return Promise.resolve();
  }

  truncate(sizeBytes: number): Promise<void> {
    if (sizeBytes < 0 || sizeBytes > this.#sizeBytes) {
      return Promise.reject(
        new RangeError(`cannot truncate ${this.#sizeBytes} bytes to ${sizeBytes}`),
      );
    }
    this.#sizeBytes = sizeBytes;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Returns a copy of the bytes appended so far. */
  bytes(): Uint8Array {
    return this.#data.slice(0, this.#sizeBytes);
  }
}

/** A read-only view of fixed bytes, counting reads. */
export class MemoryReadableFile implements RandomAccessFile {
  readonly #data: Uint8Array;
  readCount = 0;
  closed = false;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  get sizeBytes(): number {
    return this.#data.length;
  }

  read(offset: number, lengthBytes: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error("read from a closed memory file"));
    if (offset < 0 || offset + lengthBytes > this.#data.length) {
      return Promise.reject(
        new RangeError(`read of ${lengthBytes} bytes at ${offset} past ${this.#data.length}`),
      );
    }
    this.readCount++;
    // Return a view of the whole-file buffer, as a file system may, to exercise copy-on-cache.
    return Promise.resolve(this.#data.subarray(offset, offset + lengthBytes));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
