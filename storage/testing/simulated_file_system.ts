/**
 * An in-memory {@linkcode FileSystem} that models what survives a power failure, for tests.
 *
 * Fault model:
 * - Appended bytes are durable once the file's `sync()` resolves. At {@linkcode
 *   SimulatedFileSystem.crash}, each file keeps its synced bytes plus, when a random source is
 *   given, a random prefix of its unsynced bytes (a torn append); otherwise the unsynced bytes are
 *   dropped.
 * - Creations, renames and removals go to a journal, in order. `syncDirectory()` makes the whole
 *   journal durable (as a journaling file system commits every earlier metadata change, not only
 *   those of one directory). At a crash without a random source the journal is lost; with one,
 *   a random prefix of it survives, so a created file can outlive the crash with none of its
 *   unsynced bytes, as after a real kill or power loss. Directories are durable as soon as they
 *   are made (a simplification).
 * - {@linkcode SimulatedFileSystem.crash} returns the disk as it is after the restart. The crashed
 *   instance and every handle opened before the crash fail from then on, like a killed process,
 *   so a background task of the crashed engine cannot touch the restarted disk.
 * - `capacityBytes` makes appends past it write what fits and then fail with a "no-space"
 *   `StorageError`; {@linkcode SimulatedFileSystem.failSyncs} makes syncs fail.
 *
 * kill -9 alone never loses written-but-unsynced bytes, so only this simulation exercises a
 * missing fsync.
 *
 * @module
 */

import { StorageError } from "../engine.ts";
import type { FileSystem, RandomAccessFile, WritableFile } from "../file_system.ts";

class Inode {
  data = new Uint8Array(64);
  sizeBytes = 0;
  syncedSizeBytes = 0;
  /** Durable contents when they differ from the synced prefix of `data` (after truncate-open). */
  durableOverride?: Uint8Array;
  /** Set when the simulated machine crashed while this inode was in use. */
  dead = false;

  contents(): Uint8Array {
    return this.data.subarray(0, this.sizeBytes);
  }

  durableContents(): Uint8Array {
    return this.durableOverride ?? this.data.subarray(0, this.syncedSizeBytes);
  }

  appendBytes(bytes: Uint8Array): void {
    const needed = this.sizeBytes + bytes.length;
    if (needed > this.data.length) {
      const grown = new Uint8Array(Math.max(needed, this.data.length * 2));
      grown.set(this.contents());
      this.data = grown;
    }
    this.data.set(bytes, this.sizeBytes);
    this.sizeBytes = needed;
  }

  static fromBytes(bytes: Uint8Array): Inode {
    const inode = new Inode();
    inode.appendBytes(bytes);
    inode.syncedSizeBytes = inode.sizeBytes;
    return inode;
  }
}

function parentOf(path: string): string {
  const index = path.lastIndexOf("/");
  if (index > 0) return path.slice(0, index);
  return index === 0 ? "/" : ".";
}

function notFound(path: string): Error {
  return new Deno.errors.NotFound(`simulated file not found: ${path}`);
}

/** One creation, removal or rename, as the directory journal records it. */
type DirectoryChange =
  | { kind: "link"; path: string; inode: Inode }
  | { kind: "unlink"; path: string }
  | { kind: "rename"; from: string; to: string; inode: Inode };

function applyChange(entries: Map<string, Inode>, change: DirectoryChange): void {
  if (change.kind === "link") entries.set(change.path, change.inode);
  else if (change.kind === "unlink") entries.delete(change.path);
  else {
    entries.delete(change.from);
    entries.set(change.to, change.inode);
  }
}

/** Simulated disk with explicit crash and fault injection. See the module documentation. */
export class SimulatedFileSystem implements FileSystem {
  #current = new Map<string, Inode>();
  #durable = new Map<string, Inode>();
  /** Directory changes not yet durable, oldest first. */
  #journal: DirectoryChange[] = [];
  #directories = new Set<string>(["/", "."]);
  #syncFailurePattern?: RegExp;
  /** Maximum bytes all files may hold together; unlimited when undefined. */
  capacityBytes?: number;
  /** Count of file and directory syncs, for tests of group commit. */
  syncCount = 0;
  #crashed = false;

  /** Makes every later file or directory sync whose path matches `pattern` fail. */
  failSyncs(pattern: RegExp | undefined): void {
    this.#syncFailurePattern = pattern;
  }

  /** Total bytes of all current files. */
  usedBytes(): number {
    let total = 0;
    for (const inode of this.#current.values()) total += inode.sizeBytes;
    return total;
  }

  /**
   * Simulates a power failure and restart: returns a new instance holding only durable state,
   * with unsynced appends torn at random lengths when `random` is given (it returns numbers in
   * [0, 1)). This instance and every handle opened on it fail from then on.
   */
  crash(random?: () => number): SimulatedFileSystem {
    this.#checkAlive();
    const keptChanges = random ? Math.floor(random() * (this.#journal.length + 1)) : 0;
    for (const change of this.#journal.slice(0, keptChanges)) applyChange(this.#durable, change);
    const survivors = new Map<string, Inode>();
    for (const [path, inode] of this.#durable) {
      let bytes = inode.durableContents();
      const unsynced = inode.durableOverride ? 0 : inode.sizeBytes - inode.syncedSizeBytes;
      if (random && unsynced > 0) {
        const keptBytes = Math.floor(random() * (unsynced + 1));
        bytes = inode.data.subarray(0, inode.syncedSizeBytes + keptBytes);
      }
      survivors.set(path, Inode.fromBytes(bytes));
    }
    for (const inode of this.#current.values()) inode.dead = true;
    for (const inode of this.#durable.values()) inode.dead = true;
    this.#crashed = true;

    const restarted = new SimulatedFileSystem();
    restarted.#current = survivors;
    restarted.#durable = new Map(survivors);
    restarted.#directories = new Set(this.#directories);
    restarted.capacityBytes = this.capacityBytes;
    return restarted;
  }

  #checkAlive(): void {
    if (this.#crashed) throw new Deno.errors.BadResource("simulated disk was lost in a crash");
  }

  /** XORs the byte at `offset` of `path` with `mask`, on disk (synced or not). */
  corrupt(path: string, offset: number, mask = 0x01): void {
    const inode = this.#current.get(path);
    if (!inode || offset >= inode.sizeBytes) throw new RangeError(`no byte ${offset} in ${path}`);
    inode.data[offset]! ^= mask;
  }

  /** Current contents of `path`, for tests. */
  contentsOf(path: string): Uint8Array {
    const inode = this.#current.get(path);
    if (!inode) throw notFound(path);
    return inode.contents().slice();
  }

  #spaceLeft(): number {
    return this.capacityBytes === undefined ? Infinity : this.capacityBytes - this.usedBytes();
  }

  #checkSync(path: string): void {
    this.syncCount++;
    if (this.#syncFailurePattern?.test(path)) {
      throw new Deno.errors.Interrupted(`simulated fsync failure on ${path}`);
    }
  }

  #requireDirectory(path: string): void {
    if (!this.#directories.has(parentOf(path))) throw notFound(parentOf(path));
  }

  // deno-lint-ignore require-await
  async openWritable(path: string, options: { truncate?: boolean } = {}): Promise<WritableFile> {
    this.#checkAlive();
    this.#requireDirectory(path);
    let inode = this.#current.get(path);
    if (!inode) {
      inode = new Inode();
      this.#current.set(path, inode);
      this.#journal.push({ kind: "link", path, inode });
    } else if (options.truncate) {
      inode.durableOverride = inode.durableContents().slice();
      inode.sizeBytes = 0;
      inode.syncedSizeBytes = 0;
    }
    return this.#writableHandle(path, inode);
  }

  #writableHandle(path: string, inode: Inode): WritableFile {
    const checkAlive = () => {
      if (inode.dead) throw new Deno.errors.BadResource(`handle of ${path} died in a crash`);
    };
    return {
      get sizeBytes() {
        return inode.sizeBytes;
      },
      // deno-lint-ignore require-await
      append: async (data: Uint8Array) => {
        checkAlive();
        const fitting = Math.max(0, Math.min(data.length, this.#spaceLeft()));
        inode.appendBytes(data.subarray(0, fitting));
        if (fitting < data.length) {
          throw new StorageError("no-space", `no space left on device while writing ${path}`, {
            file: path,
          });
        }
      },
      // deno-lint-ignore require-await
      sync: async () => {
        checkAlive();
        this.#checkSync(path);
        inode.syncedSizeBytes = inode.sizeBytes;
        inode.durableOverride = undefined;
      },
      // deno-lint-ignore require-await
      truncate: async (sizeBytes: number) => {
        checkAlive();
        this.#checkSync(path);
        inode.sizeBytes = Math.min(sizeBytes, inode.sizeBytes);
        inode.syncedSizeBytes = inode.sizeBytes;
        inode.durableOverride = undefined;
      },
      async close() {},
    };
  }

  // deno-lint-ignore require-await
  async openReadable(path: string): Promise<RandomAccessFile> {
    this.#checkAlive();
    const inode = this.#current.get(path);
    if (!inode) throw notFound(path);
    const sizeBytes = inode.sizeBytes;
    return {
      sizeBytes,
      // deno-lint-ignore require-await
      async read(offset: number, lengthBytes: number) {
        if (inode.dead) throw new Deno.errors.BadResource(`handle of ${path} died in a crash`);
        if (offset + lengthBytes > inode.sizeBytes) {
          throw new RangeError(
            `read of ${lengthBytes} bytes at ${offset} passes the end of ${path}`,
          );
        }
        return inode.data.slice(offset, offset + lengthBytes);
      },
      async close() {},
    };
  }

  // deno-lint-ignore require-await
  async readFile(path: string): Promise<Uint8Array> {
    this.#checkAlive();
    return this.contentsOf(path);
  }

  // deno-lint-ignore require-await
  async truncate(path: string, sizeBytes: number): Promise<void> {
    this.#checkAlive();
    const inode = this.#current.get(path);
    if (!inode) throw notFound(path);
    this.#checkSync(path);
    inode.sizeBytes = Math.min(sizeBytes, inode.sizeBytes);
    inode.syncedSizeBytes = inode.sizeBytes;
    inode.durableOverride = undefined;
  }

  // deno-lint-ignore require-await
  async rename(from: string, to: string): Promise<void> {
    this.#checkAlive();
    const inode = this.#current.get(from);
    if (!inode) throw notFound(from);
    this.#requireDirectory(to);
    this.#current.delete(from);
    this.#current.set(to, inode);
    this.#journal.push({ kind: "rename", from, to, inode });
  }

  // deno-lint-ignore require-await
  async remove(path: string): Promise<void> {
    this.#checkAlive();
    if (!this.#current.delete(path)) throw notFound(path);
    this.#journal.push({ kind: "unlink", path });
  }

  // deno-lint-ignore require-await
  async list(directory: string): Promise<string[]> {
    this.#checkAlive();
    if (!this.#directories.has(directory)) throw notFound(directory);
    const names: string[] = [];
    for (const path of this.#current.keys()) {
      if (parentOf(path) === directory) names.push(path.slice(directory.length + 1));
    }
    for (const path of this.#directories) {
      if (path !== directory && parentOf(path) === directory) {
        names.push(path.slice(directory.length + 1));
      }
    }
    return names;
  }

  // deno-lint-ignore require-await
  async exists(path: string): Promise<boolean> {
    this.#checkAlive();
    return this.#current.has(path) || this.#directories.has(path);
  }

  // deno-lint-ignore require-await
  async makeDirectory(path: string): Promise<void> {
    this.#checkAlive();
    for (let directory = path; !this.#directories.has(directory); directory = parentOf(directory)) {
      this.#directories.add(directory);
    }
  }

  // deno-lint-ignore require-await
  async syncDirectory(directory: string): Promise<void> {
    this.#checkAlive();
    if (!this.#directories.has(directory)) throw notFound(directory);
    this.#checkSync(directory);
    for (const change of this.#journal) applyChange(this.#durable, change);
    this.#journal = [];
  }
}
