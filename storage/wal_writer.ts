/**
 * Appends records to one WAL segment (`FORMAT.md`, "WAL segment").
 *
 * Calls are serialised internally, so a periodic sync may run while the commit loop appends.
 * A failed append is undone by truncating the segment back to where the record began, so a full
 * disk leaves no partial record behind. If that truncation also fails, or a sync fails, the
 * writer is broken and every later call fails, because the bytes on disk are no longer known.
 * Callers (the engine) must treat a broken writer as fatal and never retry a failed sync.
 *
 * @module
 */

import { StorageError } from "./engine.ts";
import type { FileSystem, WritableFile } from "./file_system.ts";
import { encodeSegmentHeader } from "./wal_format.ts";

/** Writer for one WAL segment file. */
export class WalWriter {
  readonly path: string;
  readonly #file: WritableFile;
  #tail: Promise<unknown> = Promise.resolve();
  #broken?: StorageError;
  #closed = false;
  #unsyncedBytes = 0;

  private constructor(path: string, file: WritableFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Creates segment `path`, writes and syncs its header, then syncs `directory` so the segment
   * survives a crash.
   */
  static async create(fileSystem: FileSystem, directory: string, path: string): Promise<WalWriter> {
    const file = await fileSystem.openWritable(path, { truncate: true });
    try {
      await file.append(encodeSegmentHeader());
      await file.sync();
      await fileSystem.syncDirectory(directory);
    } catch (error) {
      await file.close().catch(() => {});
      throw error;
    }
    return new WalWriter(path, file);
  }

  /** Size of the segment in bytes, including appended but unsynced records. */
  get sizeBytes(): number {
    return this.#file.sizeBytes;
  }

  /** Whether appended bytes wait for a sync. */
  get hasUnsyncedBytes(): boolean {
    return this.#unsyncedBytes > 0;
  }

  /**
   * Appends one encoded record. On a full disk the partial record is removed and a "no-space"
   * error is thrown, and the writer stays usable. Any other failure breaks the writer.
   */
  append(record: Uint8Array): Promise<void> {
    return this.#serialise(async () => {
      const startBytes = this.#file.sizeBytes;
      try {
        await this.#file.append(record);
        this.#unsyncedBytes += record.length;
      } catch (error) {
        await this.#undoAppend(startBytes, error);
      }
    });
  }

  /**
   * Makes every appended record durable. A failure breaks the writer for good. After `close`
   * (which syncs) it does nothing, so a periodic sync may race a segment rotation safely.
   */
  sync(): Promise<void> {
    return this.#serialise(async () => {
      if (this.#closed) return;
      try {
        await this.#file.sync();
        this.#unsyncedBytes = 0;
      } catch (error) {
        throw this.#break(`sync of WAL segment ${this.path} failed`, error);
      }
    });
  }

  /** Syncs pending bytes (unless the writer is broken) and closes the file. */
  close(): Promise<void> {
    return this.#serialise(async () => {
      if (this.#closed) return;
      this.#closed = true;
      try {
        if (this.#unsyncedBytes > 0 && !this.#broken) await this.#file.sync();
        this.#unsyncedBytes = 0;
      } catch (error) {
        throw this.#break(`sync of WAL segment ${this.path} failed`, error);
      } finally {
        await this.#file.close();
      }
    }, true);
  }

  async #undoAppend(startBytes: number, error: unknown): Promise<never> {
    try {
      await this.#file.truncate(startBytes);
    } catch (truncateError) {
      throw this.#break(
        `append to WAL segment ${this.path} failed and the partial record could not be removed`,
        new AggregateError([error, truncateError]),
      );
    }
    if (error instanceof StorageError && error.kind === "no-space") throw error;
    throw this.#break(`append to WAL segment ${this.path} failed`, error);
  }

  #break(message: string, cause: unknown): StorageError {
    this.#broken ??= new StorageError("io", message, {
      file: this.path,
      offset: this.#file.sizeBytes,
      cause,
    });
    return this.#broken;
  }

  #serialise<T>(operation: () => Promise<T>, allowBroken = false): Promise<T> {
    const result = this.#tail.then(() => {
      if (this.#broken && !allowBroken) throw this.#broken;
      return operation();
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}
