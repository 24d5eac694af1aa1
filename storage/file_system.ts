/**
 * The file system as the storage engine sees it: the narrow set of calls the engine makes, so that
 * tests can substitute a simulated disk that loses unsynced bytes at a crash.
 *
 * Durability model, for every implementation: bytes appended to a {@linkcode WritableFile} are
 * durable only after `sync()` resolves; a file's existence, a rename or a removal is durable only
 * after `syncDirectory()` of its parent resolves. A real implementation maps these to
 * `fdatasync`/`fsync`; the simulated one (`storage/testing/`) drops or tears what was not synced.
 *
 * Paths are absolute or relative to the process's working directory and use `/` separators.
 *
 * Errors: a full device is reported as a `StorageError` of kind "no-space" (from `engine.ts`), so
 * the engine can fail the write without poisoning itself; other failures may be any error.
 *
 * @module
 */

/** A file opened for appending. */
export interface WritableFile {
  /** Appends `data` at the end of the file. */
  append(data: Uint8Array): Promise<void>;
  /** Makes every appended byte durable. */
  sync(): Promise<void>;
  /** Bytes appended so far, including the size the file had when opened. */
  readonly sizeBytes: number;
  /**
   * Cuts the file to `sizeBytes` (at most its current size) and syncs it; later appends continue
   * from there. Used to remove a partial append after a failed write.
   */
  truncate(sizeBytes: number): Promise<void>;
  /** Closes the file; unsynced bytes are not guaranteed durable. */
  close(): Promise<void>;
  /**
   * Writes zero bytes past the append position until the file is `sizeBytes` long, without moving
   * the append position; later appends overwrite them. A sync after an append into such space
   * has no file size to commit. Optional: a file system may leave it out.
   */
  preallocate?(sizeBytes: number): Promise<void>;
}

/** A file opened for positional reads. */
export interface RandomAccessFile {
  /** Reads exactly `lengthBytes` bytes at `offset`; fails if the file is shorter. */
  read(offset: number, lengthBytes: number): Promise<Uint8Array>;
  /** Size of the file when it was opened. */
  readonly sizeBytes: number;
  close(): Promise<void>;
}

/** File system operations used by the storage engine. */
export interface FileSystem {
  /** Creates (or truncates, when `truncate` is set) and opens a file for appending. */
  openWritable(path: string, options?: { truncate?: boolean }): Promise<WritableFile>;
  openReadable(path: string): Promise<RandomAccessFile>;
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Cuts a file to `sizeBytes` and syncs it. */
  truncate(path: string, sizeBytes: number): Promise<void>;
  /** Atomically replaces `to` with `from`. Durable after `syncDirectory`. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Lists the names (not paths) of the entries in a directory. */
  list(directory: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Creates a directory and its parents if missing. */
  makeDirectory(path: string): Promise<void>;
  /** Makes creations, renames and removals in `directory` durable. */
  syncDirectory(directory: string): Promise<void>;
}
