/**
 * Writes one SSTable from entries given in `compareInternal` order (user key ascending, sequence
 * descending). Used by memtable flushes and compaction, off the request path. Layout in
 * `storage/FORMAT.md`, section "SSTable".
 *
 * The writer cuts a data block once its contents reach the target size, records the block's last
 * internal key in the index, and hashes each distinct user key into the bloom filter. `finish`
 * writes the filter, properties and index blocks and the footer, then syncs the file. The caller
 * owns the file: it closes it, and removes it if the writer fails part-way.
 *
 * @module
 */

import type { WritableFile } from "./file_system.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";
import {
  BlockKind,
  DEFAULT_BLOCK_SIZE_BYTES,
  DEFAULT_RESTART_INTERVAL,
  encodeFooter,
  encodeIndex,
  encodeProperties,
  type Hasher,
  type IndexEntry,
  type KeyWithSequence,
  loadHasher,
  MAX_BLOCK_SIZE_BYTES,
  sealBlock,
  SSTABLE_FORMAT_VERSION,
  type SstableProperties,
} from "./sstable_format.ts";
import { DataBlockBuilder } from "./sstable_block.ts";
import { BloomFilterBuilder, DEFAULT_BITS_PER_KEY } from "./bloom_filter.ts";
import { assert, AssertionError } from "../util/assert.ts";

/** Buffered output size at which the writer appends to the file. */
const WRITE_BUFFER_BYTES = 256 * 1024;

/** Tuning of a table being written. */
export interface SstableWriterOptions {
  /** Target size of a data block's contents; a block is cut once it reaches this. */
  blockSizeBytes?: number;
  /** Entries between full keys (restart points) inside a data block. */
  restartInterval?: number;
  /** Bloom filter bits per distinct user key. */
  bitsPerKey?: number;
}

/** Writes one table; see the module documentation. Not reusable after `finish`. */
export class SstableWriter {
  readonly #file: WritableFile;
  readonly #hasher: Hasher;
  readonly #blockSizeBytes: number;
  readonly #block: DataBlockBuilder;
  readonly #filter: BloomFilterBuilder;
  readonly #index: IndexEntry[] = [];
  /** Bytes of the table so far, buffered ones included. */
  #offset: number;
  /** Sealed blocks not yet appended, batched so the file gets few large appends. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #previous: InternalEntry | undefined;
  #smallest: KeyWithSequence | undefined;
  #entryCount = 0;
  #tombstoneCount = 0;
  #minSequence = MAX_SEQUENCE;
  #maxSequence = 0;
  #rawKeyBytes = 0;
  #rawValueBytes = 0;
  #finished = false;

  private constructor(file: WritableFile, hasher: Hasher, options: SstableWriterOptions) {
    const blockSizeBytes = options.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES;
    assert(
      Number.isInteger(blockSizeBytes) && blockSizeBytes >= 1 &&
        blockSizeBytes <= MAX_BLOCK_SIZE_BYTES,
      `block size out of range: ${blockSizeBytes}`,
    );
    this.#file = file;
    this.#hasher = hasher;
    this.#blockSizeBytes = blockSizeBytes;
    this.#block = new DataBlockBuilder(options.restartInterval ?? DEFAULT_RESTART_INTERVAL);
    this.#filter = new BloomFilterBuilder(hasher, options.bitsPerKey ?? DEFAULT_BITS_PER_KEY);
    this.#offset = file.sizeBytes;
    assert(this.#offset === 0, "an SSTable is written into an empty file");
  }

  /** Creates a writer over an empty, freshly opened file. */
  static async create(
    file: WritableFile,
    options: SstableWriterOptions = {},
  ): Promise<SstableWriter> {
    return new SstableWriter(file, await loadHasher(), options);
  }

  /** Entries added so far. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Bytes written so far plus the data block being built; the final size is a little larger. */
  get estimatedSizeBytes(): number {
    return this.#offset + this.#block.estimatedSizeBytes;
  }

  /**
   * Adds the next entry. Entries must be strictly increasing in `compareInternal` order, because
   * lookups binary-search the blocks; an out-of-order entry is a programmer error and asserts.
   * The writer keeps no reference to `entry` once the returned promise resolves.
   */
  async add(entry: InternalEntry): Promise<void> {
    // Messages are built only on failure: this runs once per entry.
    assert(!this.#finished, "add after finish");
    if (!Number.isSafeInteger(entry.sequence) || entry.sequence < 0) {
      throw new AssertionError(`invalid sequence ${entry.sequence}`);
    }
    const previous = this.#previous;
    if (previous !== undefined && compareInternal(previous, entry) >= 0) {
      throw new AssertionError(
        `SSTable entries out of order: sequence ${entry.sequence} after ${previous.sequence}`,
      );
    }
    if (previous === undefined || compareKeys(previous.userKey, entry.userKey) !== 0) {
      this.#filter.addKey(entry.userKey);
    }
    // Keep a private copy of the key: the block builder and the index need it after the caller
    // may have reused its buffers.
    const userKey = entry.userKey.slice();
    const copy = { userKey, sequence: entry.sequence, kind: entry.kind, value: entry.value };
    this.#smallest ??= { userKey, sequence: entry.sequence };
    this.#block.add(copy);
    this.#recordStatistics(entry);
    this.#previous = copy;
    if (this.#block.estimatedSizeBytes >= this.#blockSizeBytes) await this.#flushDataBlock();
  }

  #recordStatistics(entry: InternalEntry): void {
    this.#entryCount++;
    if (entry.kind === EntryKind.Delete) this.#tombstoneCount++;
    this.#minSequence = Math.min(this.#minSequence, entry.sequence);
    this.#maxSequence = Math.max(this.#maxSequence, entry.sequence);
    this.#rawKeyBytes += entry.userKey.length;
    this.#rawValueBytes += entry.value.length;
  }

  async #flushDataBlock(): Promise<void> {
    const last = this.#previous;
    assert(last !== undefined, "flushing a data block before any entry");
    assert(this.#block.entryCount > 0, "flushing an empty data block");
    const contents = this.#block.finish();
    const handle = { offset: this.#offset, lengthBytes: contents.length };
    this.#index.push({ userKey: last.userKey, sequence: last.sequence, handle });
    await this.#appendBlock(contents, BlockKind.Data);
  }

  async #appendBlock(contents: Uint8Array, kind: BlockKind): Promise<void> {
    await this.#appendBytes(sealBlock(this.#hasher, contents, kind));
  }

  async #appendBytes(bytes: Uint8Array): Promise<void> {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#offset += bytes.length;
    if (this.#pendingBytes >= WRITE_BUFFER_BYTES) await this.#flushPending();
  }

  async #flushPending(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = new Uint8Array(this.#pendingBytes);
    let position = 0;
    for (const bytes of this.#pending) {
      chunk.set(bytes, position);
      position += bytes.length;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#file.append(chunk);
  }

  /**
   * Writes the remaining data block, the filter, properties and index blocks and the footer,
   * syncs the file, and returns the table's properties. Requires at least one entry.
   */
  async finish(): Promise<SstableProperties> {
    assert(!this.#finished, "finish called twice");
    assert(this.#entryCount > 0, "an SSTable needs at least one entry");
    assert(this.#previous !== undefined, "the last entry is known");
    assert(this.#smallest !== undefined, "the first entry is known");
    this.#finished = true;
    if (this.#block.entryCount > 0) await this.#flushDataBlock();

    const filterContents = this.#filter.finish();
    const filter = { offset: this.#offset, lengthBytes: filterContents.length };
    await this.#appendBlock(filterContents, BlockKind.Filter);

    const stored: Omit<SstableProperties, "fileSizeBytes"> = {
      formatVersion: SSTABLE_FORMAT_VERSION,
      entryCount: this.#entryCount,
      tombstoneCount: this.#tombstoneCount,
      dataBlockCount: this.#index.length,
      minSequence: this.#minSequence,
      maxSequence: this.#maxSequence,
      rawKeyBytes: this.#rawKeyBytes,
      rawValueBytes: this.#rawValueBytes,
      smallest: this.#smallest,
      largest: { userKey: this.#previous.userKey, sequence: this.#previous.sequence },
    };
    const propertiesContents = encodeProperties(stored);
    const properties = { offset: this.#offset, lengthBytes: propertiesContents.length };
    await this.#appendBlock(propertiesContents, BlockKind.Properties);

    const indexContents = encodeIndex(this.#index);
    const index = { offset: this.#offset, lengthBytes: indexContents.length };
    await this.#appendBlock(indexContents, BlockKind.Index);

    const footer = encodeFooter(this.#hasher, {
      filter,
      properties,
      index,
      formatVersion: SSTABLE_FORMAT_VERSION,
    });
    await this.#appendBytes(footer);
    await this.#flushPending();
    await this.#file.sync();
    assert(this.#file.sizeBytes === this.#offset, "file size matches the bytes written");
    return { ...stored, fileSizeBytes: this.#offset };
  }
}
