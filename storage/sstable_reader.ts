/**
 * Reads one SSTable: point lookups at a snapshot sequence and ordered scans over a user-key range.
 * Runs on the request path and inside compaction. Layout in `storage/FORMAT.md`, section
 * "SSTable".
 *
 * `open` reads the footer, then the filter, properties and index blocks, verifies their checksums
 * and keeps them in memory for the reader's lifetime. Data blocks are read on demand, verified,
 * and shared through an optional {@linkcode BlockCache}. Any checksum mismatch or malformed field
 * throws `StorageError("corruption")` with the file name and offset; the reader never returns data
 * from a block that failed verification.
 *
 * Returned keys and values are copies that the caller may keep or mutate.
 *
 * @module
 */

import type { RandomAccessFile } from "./file_system.ts";
import { compareKeys } from "./engine.ts";
import { compareInternal, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";
import {
  BLOCK_TRAILER_BYTES,
  BlockKind,
  corruption,
  decodeFooter,
  decodeIndex,
  type DecodeLocation,
  decodeProperties,
  type Footer,
  FOOTER_BYTES,
  type Hasher,
  type IndexEntry,
  loadHasher,
  openBlock,
  SSTABLE_FORMAT_VERSION,
  type SstableProperties,
} from "./sstable_format.ts";
import { DataBlock } from "./sstable_block.ts";
import { BloomFilter } from "./bloom_filter.ts";
import type { BlockCache } from "./block_cache.ts";

/** Options of {@linkcode SstableReader.open}: the file's identity and the shared cache. */
export interface SstableReaderOptions {
  /** Name used in corruption errors; "<unnamed>" when absent. */
  fileName?: string;
  /** Table file number, the block cache key; without it the cache is not used. */
  fileNumber?: number;
  /** Shared cache of data blocks. */
  cache?: BlockCache<DataBlock>;
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

/** An open SSTable. */
export class SstableReader {
  readonly properties: SstableProperties;
  readonly fileName: string;
  readonly fileNumber: number | undefined;
  readonly #file: RandomAccessFile;
  readonly #index: IndexEntry[];
  readonly #filter: BloomFilter;
  readonly #cache: BlockCache<DataBlock> | undefined;
  readonly #hasher: Hasher;
  #blockBytesRead = 0;

  private constructor(
    file: RandomAccessFile,
    options: SstableReaderOptions,
    parts: { properties: SstableProperties; index: IndexEntry[]; filter: BloomFilter },
    hasher: Hasher,
  ) {
    this.#file = file;
    this.#hasher = hasher;
    this.fileName = options.fileName ?? "<unnamed>";
    this.fileNumber = options.fileNumber;
    this.#cache = options.fileNumber === undefined ? undefined : options.cache;
    this.properties = parts.properties;
    this.#index = parts.index;
    this.#filter = parts.filter;
  }

  /** Opens a table, verifying its footer and metadata blocks. */
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
    const parts = await readMetadata(file, hasher, footer, fileName);
    return new SstableReader(file, options, parts, hasher);
  }

  /** Returns false when the bloom filter rules `userKey` out of this table. */
  mayContain(userKey: Uint8Array): boolean {
    return this.#filter.mayContain(userKey);
  }

  /** Bytes of data blocks read from the file (cache hits excluded), trailers included. */
  get blockBytesRead(): number {
    return this.#blockBytesRead;
  }

  /**
   * Finds the newest version of `userKey` whose sequence is at most `maxSequence`. A tombstone is
   * returned like a value, so the caller can stop searching older tables.
   */
  async get(userKey: Uint8Array, maxSequence: number): Promise<TableGetResult> {
    const { smallest, largest } = this.properties;
    if (compareKeys(userKey, smallest.userKey) < 0 || compareKeys(userKey, largest.userKey) > 0) {
      return { entry: undefined, bloomExcluded: false };
    }
    if (!this.#filter.mayContain(userKey)) return { entry: undefined, bloomExcluded: true };
    const blockIndex = this.#findBlock(userKey, maxSequence);
    if (blockIndex === undefined) return { entry: undefined, bloomExcluded: false };
    const block = await this.#readDataBlock(blockIndex, true);
    const entry = block.seek(userKey, maxSequence);
    if (entry === undefined || compareKeys(entry.userKey, userKey) !== 0) {
      return { entry: undefined, bloomExcluded: false };
    }
    return { entry, bloomExcluded: false };
  }

  /**
   * Iterates every version with a user key in [start, end), in `compareInternal` order, or in
   * exactly the reverse order when `reverse` is set.
   */
  scan(options: TableScanOptions = {}): AsyncIterableIterator<InternalEntry> {
    return options.reverse ? this.#scanReverse(options) : this.#scanForward(options);
  }

  async *#scanForward(options: TableScanOptions): AsyncGenerator<InternalEntry> {
    const { start, end } = options;
    const fillCache = options.fillCache ?? true;
    let blockIndex = start === undefined ? 0 : this.#findBlock(start, MAX_SEQUENCE);
    if (blockIndex === undefined) return;
    for (; blockIndex < this.#index.length; blockIndex++) {
      const block = await this.#readDataBlock(blockIndex, fillCache);
      for (const entry of block.entries()) {
        if (start !== undefined && compareKeys(entry.userKey, start) < 0) continue;
        if (end !== undefined && compareKeys(entry.userKey, end) >= 0) return;
        yield entry;
      }
    }
  }

  async *#scanReverse(options: TableScanOptions): AsyncGenerator<InternalEntry> {
    const { start, end } = options;
    const fillCache = options.fillCache ?? true;
    const lastBlock = this.#index.length - 1;
    let blockIndex = end === undefined ? lastBlock : this.#findBlock(end, MAX_SEQUENCE);
    blockIndex ??= lastBlock;
    for (; blockIndex >= 0; blockIndex--) {
      const entries = (await this.#readDataBlock(blockIndex, fillCache)).entries();
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (end !== undefined && compareKeys(entry.userKey, end) >= 0) continue;
        if (start !== undefined && compareKeys(entry.userKey, start) < 0) return;
        yield entry;
      }
    }
  }

  /** Index of the first data block whose last key is at or after the target, if any. */
  #findBlock(userKey: Uint8Array, sequence: number): number | undefined {
    const index = this.#index;
    let low = 0;
    let high = index.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = index[middle]!;
      const byKey = compareKeys(entry.userKey, userKey);
      const before = byKey < 0 || (byKey === 0 && entry.sequence > sequence);
      if (before) low = middle + 1;
      else high = middle;
    }
    return low < index.length ? low : undefined;
  }

  async #readDataBlock(blockIndex: number, fillCache: boolean): Promise<DataBlock> {
    const { handle } = this.#index[blockIndex]!;
    const cached = this.#cache?.get(this.fileNumber!, handle.offset);
    if (cached !== undefined) return cached;
    let sealed = await this.#file.read(handle.offset, handle.lengthBytes + BLOCK_TRAILER_BYTES);
    this.#blockBytesRead += sealed.length;
    // A cached block must not pin a larger buffer that the file system returned a view of.
    if (sealed.byteLength !== sealed.buffer.byteLength) sealed = sealed.slice();
    const location: DecodeLocation = { fileName: this.fileName, baseOffset: handle.offset };
    const contents = openBlock(this.#hasher, sealed, BlockKind.Data, location);
    const block = new DataBlock(contents, location);
    if (fillCache) this.#cache?.set(this.fileNumber!, handle.offset, block);
    return block;
  }

  /** Closes the file. Scans still running afterwards fail. */
  async close(): Promise<void> {
    await this.#file.close();
  }
}

async function readMetadata(
  file: RandomAccessFile,
  hasher: Hasher,
  footer: Footer,
  fileName: string,
): Promise<{ properties: SstableProperties; index: IndexEntry[]; filter: BloomFilter }> {
  const readBlock = async (handle: Footer["filter"], kind: BlockKind) => {
    const sealed = await file.read(handle.offset, handle.lengthBytes + BLOCK_TRAILER_BYTES);
    const location = { fileName, baseOffset: handle.offset };
    return { contents: openBlock(hasher, sealed.slice(), kind, location), location };
  };

  const filterBlock = await readBlock(footer.filter, BlockKind.Filter);
  const filter = BloomFilter.decode(hasher, filterBlock.contents);
  if (filter === undefined) corruption(filterBlock.location, 0, "malformed bloom filter");

  const propertiesBlock = await readBlock(footer.properties, BlockKind.Properties);
  const properties = decodeProperties(
    propertiesBlock.contents,
    file.sizeBytes,
    propertiesBlock.location,
  );
  if (properties.formatVersion !== SSTABLE_FORMAT_VERSION) {
    corruption(propertiesBlock.location, 0, `unsupported version ${properties.formatVersion}`);
  }

  const indexBlock = await readBlock(footer.index, BlockKind.Index);
  const index = decodeIndex(indexBlock.contents, indexBlock.location);
  checkIndex(index, properties, footer.filter.offset, indexBlock.location);
  return { properties, index, filter };
}

/** Checks that index entries are ordered and their handles tile the data area in order. */
function checkIndex(
  index: readonly IndexEntry[],
  properties: SstableProperties,
  dataEndOffset: number,
  location: DecodeLocation,
): void {
  if (index.length === 0 || index.length !== properties.dataBlockCount) {
    corruption(
      location,
      0,
      `index has ${index.length} blocks, properties say ${properties.dataBlockCount}`,
    );
  }
  let expectedOffset = 0;
  for (let i = 0; i < index.length; i++) {
    const entry = index[i]!;
    if (entry.handle.offset !== expectedOffset) {
      corruption(location, 0, `data block ${i} starts at ${entry.handle.offset}`);
    }
    expectedOffset += entry.handle.lengthBytes + BLOCK_TRAILER_BYTES;
    if (i > 0 && compareInternal(index[i - 1]!, entry) >= 0) {
      corruption(location, 0, `index entries ${i - 1} and ${i} are out of order`);
    }
  }
  if (expectedOffset !== dataEndOffset) {
    corruption(
      location,
      0,
      `data blocks end at ${expectedOffset}, filter starts at ${dataEndOffset}`,
    );
  }
}
