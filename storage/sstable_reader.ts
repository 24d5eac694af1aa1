/**
 * Reads one SSTable: point lookups at a snapshot sequence and ordered scans over a user-key range.
 * Runs on the request path and inside compaction. Layout in `storage/FORMAT.md`, section
 * "SSTable".
 *
 * Memory: `open` reads the footer, the properties block and the partition index, verifies them
 * and keeps only them for the reader's lifetime. These bytes are "pinned" and charged to the
 * block cache with `BlockCache.pin`. Everything else, filter and index partitions as well as data
 * blocks, is read on demand, verified, and shared through the {@linkcode BlockCache}. So the
 * memory of all tables together stays within the cache capacity, unless the pinned bytes alone
 * exceed it. They grow by one partition index entry per 60 KB to 1.3 MB of data (small to 1 KiB
 * values; see `FORMAT.md`). A format-1 table is read as one partition whose filter and index are
 * the table's only filter and index blocks.
 *
 * Without a cache (or without a file number, the cache key) every block is read from the file on
 * each use.
 *
 * Any checksum mismatch or malformed field throws `StorageError("corruption")` with the file name
 * and offset; the reader never returns data from a block that failed verification. Returned keys
 * and values are copies that the caller may keep or mutate.
 *
 * @module
 */

import type { RandomAccessFile } from "./file_system.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";
import {
  BLOCK_TRAILER_BYTES,
  type BlockHandle,
  BlockKind,
  corruption,
  decodeFooter,
  type DecodeLocation,
  decodeProperties,
  type Footer,
  FOOTER_BYTES,
  type Hasher,
  loadHasher,
  openBlock,
  SSTABLE_FORMAT_VERSION,
  SSTABLE_FORMAT_VERSION_1,
  type SstableFormatVersion,
  type SstableProperties,
} from "./sstable_format.ts";
import { DataBlock } from "./sstable_block.ts";
import { encodeIndexBlock, IndexBlock } from "./sstable_index.ts";
import { BloomFilter, type BloomHash, bloomHash } from "./bloom_filter.ts";
import type { BlockCache, CacheableBlock } from "./block_cache.ts";

/** Options of {@linkcode SstableReader.open}: the file's identity and the shared cache. */
export interface SstableReaderOptions {
  /** Name used in corruption errors; "<unnamed>" when absent. */
  fileName?: string;
  /** Table file number, the block cache key; without it the cache is not used. */
  fileNumber?: number;
  /** Shared cache of blocks, also charged with the reader's pinned bytes. */
  cache?: BlockCache;
}

/** Options of {@linkcode SstableReader.get}. */
export interface TableGetOptions {
  /** The key's bloom hash, when the caller computed it already. */
  hash?: BloomHash;
  /** The caller checked the bloom filter already: skip it. */
  filterChecked?: boolean;
}

/** Result of {@linkcode SstableReader.get}. */
export interface TableGetResult {
  /** The newest version at or below the requested sequence; may be a tombstone. */
  entry: InternalEntry | undefined;
  /** True when the bloom filter ruled the key out without reading a data block. */
  bloomExcluded: boolean;
}

/** Bounds and direction of {@linkcode SstableReader.scan}. */
export interface TableScanOptions {
  /** Inclusive lower bound on user keys. */
  start?: Uint8Array;
  /** Exclusive upper bound on user keys. */
  end?: Uint8Array;
  /** Yield in exactly the reverse of `compareInternal` order. */
  reverse?: boolean;
  /** Put blocks read by this scan into the cache (default true; compaction passes false). */
  fillCache?: boolean;
}

/** Bytes charged for the pinned properties beyond their two keys, for the objects around them. */
const PROPERTIES_OVERHEAD_BYTES = 256;
/** Handle slots of a partition index entry. */
const FILTER_SLOT = 0;
const INDEX_SLOT = 1;

/** Metadata that {@linkcode SstableReader.open} verifies and keeps. */
interface TableMetadata {
  formatVersion: SstableFormatVersion;
  properties: SstableProperties;
  /** One entry per partition: its last key, filter handle (slot 0) and index handle (slot 1). */
  partitions: IndexBlock;
}

/** An open SSTable. */
export class SstableReader {
  readonly properties: SstableProperties;
  readonly fileName: string;
  readonly fileNumber: number | undefined;
  readonly formatVersion: SstableFormatVersion;
  /** Bytes this reader keeps for its whole life, charged to the cache while it is open. */
  readonly pinnedBytes: number;
  readonly #file: RandomAccessFile;
  readonly #partitions: IndexBlock;
  /** Per partition: filter offset, filter length, index offset, index length. Decoded once. */
  readonly #partitionHandles: Float64Array;
  readonly #cache: BlockCache | undefined;
  readonly #hasher: Hasher;
  #blockBytesRead = 0;
  #closed = false;

  private constructor(
    file: RandomAccessFile,
    options: SstableReaderOptions,
    metadata: TableMetadata,
    hasher: Hasher,
  ) {
    this.#file = file;
    this.#hasher = hasher;
    this.fileName = options.fileName ?? "<unnamed>";
    this.fileNumber = options.fileNumber;
    this.#cache = options.fileNumber === undefined ? undefined : options.cache;
    this.properties = metadata.properties;
    this.formatVersion = metadata.formatVersion;
    this.#partitions = metadata.partitions;
    this.#partitionHandles = new Float64Array(4 * this.#partitions.length);
    for (let partition = 0; partition < this.#partitions.length; partition++) {
      const filter = this.#partitions.handle(partition, FILTER_SLOT);
      const index = this.#partitions.handle(partition, INDEX_SLOT);
      this.#partitionHandles.set(
        [filter.offset, filter.lengthBytes, index.offset, index.lengthBytes],
        4 * partition,
      );
    }
    this.pinnedBytes = PROPERTIES_OVERHEAD_BYTES + this.properties.smallest.userKey.length +
      this.properties.largest.userKey.length + this.#partitions.cacheChargeBytes +
      this.#partitionHandles.byteLength;
    this.#cache?.pin(this.pinnedBytes);
  }

  /** Opens a table, verifying its footer, properties and partition index. */
  static async open(
    file: RandomAccessFile,
    options: SstableReaderOptions = {},
  ): Promise<SstableReader> {
    const hasher = await loadHasher();
    const fileName = options.fileName ?? "<unnamed>";
    const size = file.sizeBytes;
    if (size < FOOTER_BYTES) {
      corruption({ fileName, baseOffset: 0 }, 0, `file is too short (${size} bytes)`);
    }
    const footerOffset = size - FOOTER_BYTES;
    const footerBytes = await file.read(footerOffset, FOOTER_BYTES);
    const footer = decodeFooter(hasher, footerBytes, size, { fileName, baseOffset: footerOffset });
    const metadata = await readMetadata(file, hasher, footer, fileName);
    return new SstableReader(file, options, metadata, hasher);
  }

  /** Number of partitions; a format-1 table has one. */
  get partitionCount(): number {
    return this.#partitions.length;
  }

  /** Bytes of blocks read from the file after open (cache hits excluded), trailers included. */
  get blockBytesRead(): number {
    return this.#blockBytesRead;
  }

  /**
   * Returns false when the bloom filter rules `userKey` out of this table, reading the filter
   * partition if it is not cached. `hash` saves hashing the key again.
   */
  async mayContain(userKey: Uint8Array, hash?: BloomHash): Promise<boolean> {
    const partition = this.#filterPartitionIndex(userKey);
    if (partition === undefined) return false;
    const filter = await this.#filterPartition(partition);
    return filter.mayContainHash(hash ?? bloomHash(this.#hasher, userKey));
  }

  /**
   * Like {@linkcode mayContain}, without I/O: returns undefined when the filter partition that
   * decides is not in the cache.
   */
  mayContainIfCached(userKey: Uint8Array, hash?: BloomHash): boolean | undefined {
    const partition = this.#filterPartitionIndex(userKey);
    if (partition === undefined) return false;
    const filterOffset = this.#partitionHandles[4 * partition]!;
    // A miss is counted when the caller then loads the filter with `mayContain`.
    const cached = this.#cache?.get(this.fileNumber!, filterOffset, false);
    if (cached === undefined) return undefined;
    // One file offset holds one block, so the cached block is this filter partition.
    return (cached as BloomFilter).mayContainHash(hash ?? bloomHash(this.#hasher, userKey));
  }

  /**
   * Finds the newest version of `userKey` whose sequence is at most `maxSequence`. A tombstone is
   * returned like a value, so the caller can stop searching older tables. The value is a view of
   * a cached block and must not be modified.
   */
  async get(
    userKey: Uint8Array,
    maxSequence: number,
    options: TableGetOptions = {},
  ): Promise<TableGetResult> {
    if (!this.#inKeyRange(userKey)) return { entry: undefined, bloomExcluded: false };
    if (!options.filterChecked && !(await this.mayContain(userKey, options.hash))) {
      return { entry: undefined, bloomExcluded: true };
    }
    const partition = this.#partitions.find(userKey, maxSequence);
    if (partition === undefined) return { entry: undefined, bloomExcluded: false };
    const index = await this.#indexPartition(partition, true);
    // The partition's last key is at or after the target, so one of its blocks is too.
    const blockIndex = index.find(userKey, maxSequence)!;
    const block = await this.#dataBlock(index.handle(blockIndex), true);
    const entry = block.seek(userKey, maxSequence);
    if (entry === undefined || compareKeys(entry.userKey, userKey) !== 0) {
      return { entry: undefined, bloomExcluded: false };
    }
    return { entry, bloomExcluded: false };
  }

  /**
   * Does what `get` does for a key whose bloom filter was checked, using cached blocks only, and
   * synchronously. Returns undefined when a block it needs is not cached; call `get` then.
   */
  getCached(userKey: Uint8Array, maxSequence: number): TableGetResult | undefined {
    const absent = { entry: undefined, bloomExcluded: false };
    if (!this.#inKeyRange(userKey)) return absent;
    const partition = this.#partitions.find(userKey, maxSequence);
    if (partition === undefined) return absent;
    const index = this.#cachedBlock<IndexBlock>(this.#handle(partition, INDEX_SLOT));
    if (index === undefined) return undefined;
    // The partition's last key is at or after the target, so one of its blocks is too.
    const block = this.#cachedBlock<DataBlock>(index.handle(index.find(userKey, maxSequence)!));
    if (block === undefined) return undefined;
    const entry = block.seek(userKey, maxSequence);
    if (entry === undefined || compareKeys(entry.userKey, userKey) !== 0) return absent;
    return { entry, bloomExcluded: false };
  }

  /**
   * Iterates every version with a user key in [start, end), in `compareInternal` order, or in
   * exactly the reverse order when `reverse` is set.
   */
  scan(options: TableScanOptions = {}): AsyncIterableIterator<InternalEntry> {
    return options.reverse ? this.#scanReverse(options) : this.#scanForward(options);
  }

  /**
   * Returns every version with a user key in [start, end), in scan order, if they lie in at most
   * `maxBlocks` data blocks. Otherwise returns undefined, having read `maxBlocks` blocks. A short
   * range (a Query's partition) so costs one await per block instead of one per entry.
   */
  async scanShort(
    options: TableScanOptions,
    maxBlocks: number,
  ): Promise<InternalEntry[] | undefined> {
    const { start, end } = options;
    const entries: InternalEntry[] = [];
    let blockCount = 0;
    for await (const block of this.#forwardBlocks(start, options.fillCache ?? true)) {
      if (++blockCount > maxBlocks) return undefined;
      for (const entry of block.entries()) {
        if (start !== undefined && compareKeys(entry.userKey, start) < 0) continue;
        if (end !== undefined && compareKeys(entry.userKey, end) >= 0) {
          return options.reverse ? entries.reverse() : entries;
        }
        entries.push(entry);
      }
    }
    return options.reverse ? entries.reverse() : entries;
  }

  async *#scanForward(options: TableScanOptions): AsyncGenerator<InternalEntry> {
    const { start, end } = options;
    for await (const block of this.#forwardBlocks(start, options.fillCache ?? true)) {
      for (const entry of block.entries()) {
        if (start !== undefined && compareKeys(entry.userKey, start) < 0) continue;
        if (end !== undefined && compareKeys(entry.userKey, end) >= 0) return;
        yield entry;
      }
    }
  }

  /** Yields the data blocks in order, from the one that may hold `start` to the last. */
  async *#forwardBlocks(
    start: Uint8Array | undefined,
    fillCache: boolean,
  ): AsyncGenerator<DataBlock> {
    let partition = start === undefined ? 0 : this.#partitions.find(start, MAX_SEQUENCE);
    if (partition === undefined) return;
    let blockIndex: number | undefined;
    for (; partition < this.#partitions.length; partition++) {
      const index = await this.#indexPartition(partition, fillCache);
      // Only the first partition visited may start mid-way; it has a block at or after `start`.
      blockIndex = blockIndex === undefined && start !== undefined
        ? index.find(start, MAX_SEQUENCE)!
        : 0;
      for (; blockIndex < index.length; blockIndex++) {
        yield await this.#dataBlock(index.handle(blockIndex), fillCache);
      }
    }
  }

  async *#scanReverse(options: TableScanOptions): AsyncGenerator<InternalEntry> {
    const { start, end } = options;
    const fillCache = options.fillCache ?? true;
    const lastPartition = this.#partitions.length - 1;
    let partition = end === undefined
      ? lastPartition
      : this.#partitions.find(end, MAX_SEQUENCE) ?? lastPartition;
    let firstPartition = true;
    for (; partition >= 0; partition--) {
      const index = await this.#indexPartition(partition, fillCache);
      const lastBlock = index.length - 1;
      let blockIndex = firstPartition && end !== undefined
        ? index.find(end, MAX_SEQUENCE) ?? lastBlock
        : lastBlock;
      firstPartition = false;
      for (; blockIndex >= 0; blockIndex--) {
        const entries = (await this.#dataBlock(index.handle(blockIndex), fillCache)).entries();
        for (let i = entries.length - 1; i >= 0; i--) {
          const entry = entries[i]!;
          if (end !== undefined && compareKeys(entry.userKey, end) >= 0) continue;
          if (start !== undefined && compareKeys(entry.userKey, start) < 0) return;
          yield entry;
        }
      }
    }
  }

  /** Closes the file and returns the pinned bytes to the cache. Scans still running fail. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#cache?.unpin(this.pinnedBytes);
    }
    await this.#file.close();
  }

  #inKeyRange(userKey: Uint8Array): boolean {
    const { smallest, largest } = this.properties;
    return compareKeys(userKey, smallest.userKey) >= 0 &&
      compareKeys(userKey, largest.userKey) <= 0;
  }

  /**
   * Returns the partition whose filter decides whether the table contains any version of
   * `userKey`, or undefined when the key is past the table's last key. It is the first partition
   * whose last key is at or after the key's newest possible version. If the table contains a
   * version of the key, this partition contains one too, and its filter has the key. The caller
   * checks the table's key range; a key before it gets partition 0, whose filter decides too.
   */
  #filterPartitionIndex(userKey: Uint8Array): number | undefined {
    return this.#partitions.find(userKey, MAX_SEQUENCE);
  }

  /** Returns handle `slot` (filter or index) of `partition`. */
  #handle(partition: number, slot: typeof FILTER_SLOT | typeof INDEX_SLOT): BlockHandle {
    const at = 4 * partition + 2 * slot;
    return { offset: this.#partitionHandles[at]!, lengthBytes: this.#partitionHandles[at + 1]! };
  }

  /** File offset where the data blocks of `partition` start. */
  #dataStartOffset(partition: number): number {
    if (partition === 0) return 0;
    const previousIndex = this.#handle(partition - 1, INDEX_SLOT);
    return previousIndex.offset + previousIndex.lengthBytes + BLOCK_TRAILER_BYTES;
  }

  #filterPartition(partition: number): Promise<BloomFilter> {
    const handle = this.#handle(partition, FILTER_SLOT);
    return this.#readBlock(handle, BlockKind.Filter, true, (contents, location) => {
      return BloomFilter.decode(this.#hasher, contents) ??
        corruption(location, 0, "malformed bloom filter");
    });
  }

  #indexPartition(partition: number, fillCache: boolean): Promise<IndexBlock> {
    const handle = this.#handle(partition, INDEX_SLOT);
    return this.#readBlock(handle, BlockKind.Index, fillCache, (contents, location) => {
      const index = IndexBlock.decode(contents, location, 1);
      const dataEnd = this.#handle(partition, FILTER_SLOT).offset;
      checkIndexPartition(index, this.#dataStartOffset(partition), dataEnd);
      const lastKey = this.#partitions.key(partition);
      if (compareInternal(index.key(index.length - 1), lastKey) !== 0) {
        corruption(location, 0, `last index entry differs from partition ${partition}'s key`);
      }
      const oneIndex = this.formatVersion === SSTABLE_FORMAT_VERSION_1;
      if (oneIndex && index.length !== this.properties.dataBlockCount) {
        const expected = this.properties.dataBlockCount;
        corruption(location, 0, `index has ${index.length} blocks, properties say ${expected}`);
      }
      return index;
    });
  }

  #dataBlock(handle: BlockHandle, fillCache: boolean): Promise<DataBlock> {
    return this.#readBlock(handle, BlockKind.Data, fillCache, (contents, location) => {
      return new DataBlock(contents, location);
    });
  }

  /** Returns the decoded block at `handle` if the cache has it. */
  #cachedBlock<Block extends CacheableBlock>(handle: BlockHandle): Block | undefined {
    // One file offset holds one block, so a cached block has the requested kind.
    return this.#cache?.get(this.fileNumber!, handle.offset) as Block | undefined;
  }

  /**
   * Returns the decoded block at `handle` from the cache, or reads, verifies and decodes it and,
   * when `fillCache` is set, caches it.
   */
  async #readBlock<Block extends CacheableBlock>(
    handle: BlockHandle,
    kind: BlockKind,
    fillCache: boolean,
    decode: (contents: Uint8Array, location: DecodeLocation) => Block,
  ): Promise<Block> {
    const cached = this.#cachedBlock<Block>(handle);
    if (cached !== undefined) return cached;
    let sealed = await this.#file.read(handle.offset, handle.lengthBytes + BLOCK_TRAILER_BYTES);
    this.#blockBytesRead += sealed.length;
    // A cached block must not pin a larger buffer that the file system returned a view of.
    if (sealed.byteLength !== sealed.buffer.byteLength) sealed = sealed.slice();
    const location: DecodeLocation = { fileName: this.fileName, baseOffset: handle.offset };
    const block = decode(openBlock(this.#hasher, sealed, kind, location), location);
    if (fillCache) this.#cache?.set(this.fileNumber!, handle.offset, block);
    return block;
  }
}

async function readMetadata(
  file: RandomAccessFile,
  hasher: Hasher,
  footer: Footer,
  fileName: string,
): Promise<TableMetadata> {
  const readBlock = async (handle: BlockHandle, kind: BlockKind) => {
    const sealed = await file.read(handle.offset, handle.lengthBytes + BLOCK_TRAILER_BYTES);
    const location = { fileName, baseOffset: handle.offset };
    return { contents: openBlock(hasher, sealed.slice(), kind, location), location };
  };

  const propertiesBlock = await readBlock(footer.properties, BlockKind.Properties);
  const properties = decodeProperties(
    propertiesBlock.contents,
    file.sizeBytes,
    propertiesBlock.location,
  );
  if (properties.formatVersion !== footer.formatVersion) {
    corruption(
      propertiesBlock.location,
      0,
      `properties say format ${properties.formatVersion}, the footer ${footer.formatVersion}`,
    );
  }

  if (footer.formatVersion === SSTABLE_FORMAT_VERSION_1) {
    if (footer.filter.offset === 0) corruption(propertiesBlock.location, 0, "table has no data");
    // One partition: the table's last key, its only filter and its only index.
    const entry = { ...properties.largest, handles: [footer.filter, footer.index] };
    const location = { fileName, baseOffset: footer.index.offset };
    const partitions = IndexBlock.decode(encodeIndexBlock([entry], 2), location, 2);
    return { formatVersion: footer.formatVersion, properties, partitions };
  }

  const indexBlock = await readBlock(footer.partitionIndex, BlockKind.PartitionIndex);
  const partitions = IndexBlock.decode(indexBlock.contents, indexBlock.location, 2);
  checkPartitionLayout(partitions, footer, properties, indexBlock.location);
  return { formatVersion: footer.formatVersion, properties, partitions };
}

/**
 * Checks that the partitions of a format-2 table tile the file in order, followed by the
 * properties block, the partition index and the footer. A partition is its data blocks, then its
 * filter block, then its index block. Also checks that the last partition ends with the table's
 * largest key.
 */
function checkPartitionLayout(
  partitions: IndexBlock,
  footer: Extract<Footer, { formatVersion: typeof SSTABLE_FORMAT_VERSION }>,
  properties: SstableProperties,
  location: DecodeLocation,
): void {
  if (partitions.length !== footer.partitionCount) {
    corruption(
      location,
      0,
      `${partitions.length} partitions, the footer says ${footer.partitionCount}`,
    );
  }
  let dataStart = 0;
  for (let partition = 0; partition < partitions.length; partition++) {
    const filter = partitions.handle(partition, FILTER_SLOT);
    const index = partitions.handle(partition, INDEX_SLOT);
    if (filter.offset <= dataStart) {
      corruption(location, 0, `partition ${partition} has no data blocks`);
    }
    if (index.offset !== filter.offset + filter.lengthBytes + BLOCK_TRAILER_BYTES) {
      corruption(location, 0, `partition ${partition}'s index does not follow its filter`);
    }
    dataStart = index.offset + index.lengthBytes + BLOCK_TRAILER_BYTES;
  }
  const propertiesEnd = footer.properties.offset + footer.properties.lengthBytes +
    BLOCK_TRAILER_BYTES;
  const partitionIndexEnd = footer.partitionIndex.offset + footer.partitionIndex.lengthBytes +
    BLOCK_TRAILER_BYTES;
  const tiled = dataStart === footer.properties.offset &&
    propertiesEnd === footer.partitionIndex.offset &&
    partitionIndexEnd === properties.fileSizeBytes - FOOTER_BYTES;
  if (!tiled) corruption(location, 0, "partitions and metadata blocks do not tile the file");
  if (compareInternal(partitions.key(partitions.length - 1), properties.largest) !== 0) {
    corruption(location, 0, "last partition does not end with the table's largest key");
  }
}

/** Checks that a partition's data block handles tile `[dataStart, dataEnd)` in order. */
function checkIndexPartition(index: IndexBlock, dataStart: number, dataEnd: number): void {
  let expectedOffset = dataStart;
  for (let i = 0; i < index.length; i++) {
    const handle = index.handle(i);
    if (handle.offset !== expectedOffset) {
      corruption(index.location, 0, `data block ${i} starts at ${handle.offset}`);
    }
    expectedOffset += handle.lengthBytes + BLOCK_TRAILER_BYTES;
  }
  if (expectedOffset !== dataEnd) {
    corruption(
      index.location,
      0,
      `data blocks end at ${expectedOffset}, filter starts at ${dataEnd}`,
    );
  }
}
