/**
 * Writes one SSTable from entries given in `compareInternal` order (user key ascending, sequence
 * descending). Used by memtable flushes and compaction, off the request path. Layout in
 * `storage/FORMAT.md`, section "SSTable".
 *
 * The writer cuts a data block once its contents reach the target size, records the block's last
 * internal key in the current partition's index, and hashes each user key into the partition's
 * bloom filter. Once the partition's index or filter reaches `partitionSizeBytes`, the writer
 * appends the filter and index blocks after the partition's data blocks and starts the next
 * partition. So its memory stays bounded by one partition plus one entry per partition, whatever
 * the table's size.
 * `finish` writes the last partition, the properties block, the partition index and the footer,
 * then syncs the file. The caller owns the file: it closes it, and removes it if the writer fails
 * part-way.
 *
 * With `formatVersion: 1` the writer produces the first format instead: one partition, never cut,
 * with the filter block after the data and the index block after the properties. Only tests of
 * reading old tables need it.
 *
 * @module
 */

import type { WritableFile } from "./file_system.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";
import {
  type BlockHandle,
  BlockKind,
  DEFAULT_BLOCK_SIZE_BYTES,
  DEFAULT_PARTITION_SIZE_BYTES,
  DEFAULT_RESTART_INTERVAL,
  encodeFooter,
  encodeProperties,
  type Footer,
  type Hasher,
  type KeyWithSequence,
  loadHasher,
  MAX_BLOCK_SIZE_BYTES,
  sealBlock,
  SSTABLE_FORMAT_VERSION,
  SSTABLE_FORMAT_VERSION_1,
  type SstableFormatVersion,
  type SstableProperties,
} from "./sstable_format.ts";
import { DataBlockBuilder } from "./sstable_block.ts";
import { encodeIndexBlock, type IndexBlockEntry } from "./sstable_index.ts";
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
  /** A partition is cut once its index or its filter would reach this size. */
  partitionSizeBytes?: number;
  /** Format to write: 2 (the default) or, for compatibility tests, 1. */
  formatVersion?: SstableFormatVersion;
}

/** Writes one table; see the module documentation. Not reusable after `finish`. */
export class SstableWriter {
  readonly #file: WritableFile;
  readonly #hasher: Hasher;
  readonly #blockSizeBytes: number;
  readonly #partitionSizeBytes: number;
  readonly #bitsPerKey: number;
  readonly #formatVersion: SstableFormatVersion;
  readonly #block: DataBlockBuilder;
  /** Filter and index of the current partition. */
  #filter: BloomFilterBuilder;
  #index: IndexBlockEntry[] = [];
  #indexSizeBytes = 0;
  /** Finished partitions: last key, filter handle and index handle. */
  readonly #partitions: IndexBlockEntry[] = [];
  #dataBlockCount = 0;
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
    this.#partitionSizeBytes = options.partitionSizeBytes ?? DEFAULT_PARTITION_SIZE_BYTES;
    assert(
      this.#partitionSizeBytes >= 1,
      `partition size out of range: ${options.partitionSizeBytes}`,
    );
    this.#bitsPerKey = options.bitsPerKey ?? DEFAULT_BITS_PER_KEY;
    this.#formatVersion = options.formatVersion ?? SSTABLE_FORMAT_VERSION;
    this.#block = new DataBlockBuilder(options.restartInterval ?? DEFAULT_RESTART_INTERVAL);
    this.#filter = new BloomFilterBuilder(hasher, this.#bitsPerKey);
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
    // A key whose versions continue into a new partition goes into that partition's filter too.
    const newKey = previous === undefined || compareKeys(previous.userKey, entry.userKey) !== 0;
    if (newKey || this.#filter.keyCount === 0) this.#filter.addKey(entry.userKey);
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
    const handle = await this.#appendBlock(contents, BlockKind.Data);
    this.#index.push({ userKey: last.userKey, sequence: last.sequence, handles: [handle] });
    this.#indexSizeBytes += varintLength(last.userKey.length) + last.userKey.length +
      varintLength(last.sequence) + varintLength(handle.offset) + varintLength(handle.lengthBytes);
    this.#dataBlockCount++;
    const filterSizeBytes = (this.#filter.keyCount * this.#bitsPerKey) / 8;
    const full = this.#indexSizeBytes >= this.#partitionSizeBytes ||
      filterSizeBytes >= this.#partitionSizeBytes;
    if (full && this.#formatVersion === SSTABLE_FORMAT_VERSION) await this.#finishPartition();
  }

  /** Writes the current partition's filter and index blocks and starts a new partition. */
  async #finishPartition(): Promise<void> {
    const last = this.#index[this.#index.length - 1];
    assert(last !== undefined, "a partition holds at least one data block");
    const filter = await this.#appendBlock(this.#filter.finish(), BlockKind.Filter);
    const index = await this.#appendBlock(encodeIndexBlock(this.#index, 1), BlockKind.Index);
    this.#partitions.push({
      userKey: last.userKey,
      sequence: last.sequence,
      handles: [filter, index],
    });
    this.#filter = new BloomFilterBuilder(this.#hasher, this.#bitsPerKey);
    this.#index = [];
    this.#indexSizeBytes = 0;
  }

  /** Appends a block with its trailer and returns its handle. */
  async #appendBlock(contents: Uint8Array, kind: BlockKind): Promise<BlockHandle> {
    const handle = { offset: this.#offset, lengthBytes: contents.length };
    await this.#appendBytes(sealBlock(this.#hasher, contents, kind));
    return handle;
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
   * Writes the remaining data block and partition, the properties block, the partition index
   * (format 2) and the footer, syncs the file, and returns the table's properties. Requires at
   * least one entry.
   */
  async finish(): Promise<SstableProperties> {
    assert(!this.#finished, "finish called twice");
    assert(this.#entryCount > 0, "an SSTable needs at least one entry");
    assert(this.#previous !== undefined, "the last entry is known");
    assert(this.#smallest !== undefined, "the first entry is known");
    this.#finished = true;
    if (this.#block.entryCount > 0) await this.#flushDataBlock();

    const footer = this.#formatVersion === SSTABLE_FORMAT_VERSION_1
      ? await this.#finishVersion1()
      : await this.#finishVersion2();
    await this.#appendBytes(encodeFooter(this.#hasher, footer));
    await this.#flushPending();
    await this.#file.sync();
    assert(this.#file.sizeBytes === this.#offset, "file size matches the bytes written");
    return { ...this.#storedProperties(), fileSizeBytes: this.#offset };
  }

  async #finishVersion2(): Promise<Footer> {
    if (this.#index.length > 0) await this.#finishPartition();
    const properties = await this.#appendProperties();
    const partitionIndex = await this.#appendBlock(
      encodeIndexBlock(this.#partitions, 2),
      BlockKind.PartitionIndex,
    );
    return {
      formatVersion: SSTABLE_FORMAT_VERSION,
      partitionCount: this.#partitions.length,
      properties,
      partitionIndex,
    };
  }

  async #finishVersion1(): Promise<Footer> {
    const filter = await this.#appendBlock(this.#filter.finish(), BlockKind.Filter);
    const properties = await this.#appendProperties();
    const index = await this.#appendBlock(encodeIndexBlock(this.#index, 1), BlockKind.Index);
    return { formatVersion: SSTABLE_FORMAT_VERSION_1, filter, properties, index };
  }

  async #appendProperties(): Promise<BlockHandle> {
    return await this.#appendBlock(
      encodeProperties(this.#storedProperties()),
      BlockKind.Properties,
    );
  }

  #storedProperties(): Omit<SstableProperties, "fileSizeBytes"> {
    assert(this.#previous !== undefined, "the last entry is known");
    assert(this.#smallest !== undefined, "the first entry is known");
    return {
      formatVersion: this.#formatVersion,
      entryCount: this.#entryCount,
      tombstoneCount: this.#tombstoneCount,
      dataBlockCount: this.#dataBlockCount,
      minSequence: this.#minSequence,
      maxSequence: this.#maxSequence,
      rawKeyBytes: this.#rawKeyBytes,
      rawValueBytes: this.#rawValueBytes,
      smallest: this.#smallest,
      largest: { userKey: this.#previous.userKey, sequence: this.#previous.sequence },
    };
  }
}

/** Returns the number of bytes of `value` as an unsigned LEB128 varint. */
function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}
