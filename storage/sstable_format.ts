/**
 * SSTable file format: constants, the block trailer and checksum, the footer, the properties
 * block, and the varint and 64-bit integer helpers they use (index blocks are in
 * `sstable_index.ts`). The byte layout is documented in `storage/FORMAT.md`, sections "SSTable",
 * "SSTable footer" and "Bloom filter". Change both together, and bump
 * {@linkcode SSTABLE_FORMAT_VERSION} for any incompatible change.
 *
 * Table layout in format 2, front to back: partitions, each of data blocks followed by their
 * filter block and index block, then the properties block, the partition index block and a
 * fixed-size footer. Format 1, still read, has one filter and one index for the whole table,
 * after the data blocks and around the properties block. Every block is followed by a 5-byte
 * trailer (block kind and an XXH32 checksum), and the footer carries its own checksum. Decoders
 * verify every checksum and throw `StorageError("corruption")` naming the file and offset.
 *
 * Every multi-byte integer is little-endian. Used by `sstable_writer.ts` and `sstable_reader.ts`.
 *
 * @module
 */

import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { StorageError } from "./engine.ts";
import { assert, AssertionError } from "../util/assert.ts";

/** The xxhash functions (XXH32 and XXH64) used for checksums and bloom filter hashing. */
export type Hasher = XXHashAPI;

let hasherPromise: Promise<Hasher> | undefined;

/**
 * Returns the shared xxhash instance, compiling its WebAssembly module on first use.
 * Every later call returns the same promise.
 */
export function loadHasher(): Promise<Hasher> {
  hasherPromise ??= xxhash();
  return hasherPromise;
}

/** The last 8 bytes of every SSTable: ASCII "STRATSST". */
export const SSTABLE_MAGIC: Uint8Array = new TextEncoder().encode("STRATSST");
/** Format version written in the footer and the properties block of new tables. */
export const SSTABLE_FORMAT_VERSION = 2;
/** The first format: one filter block and one index block per table. Read, and written on request. */
export const SSTABLE_FORMAT_VERSION_1 = 1;
/** Format versions a reader accepts. */
export type SstableFormatVersion = typeof SSTABLE_FORMAT_VERSION_1 | typeof SSTABLE_FORMAT_VERSION;

/**
 * Kind byte of a block trailer, so a handle pointing at the wrong block is caught as corruption.
 * Stored on disk: the values are frozen.
 */
export const BlockKind = {
  Data: 1,
  Filter: 2,
  Properties: 3,
  Index: 4,
  /** The top-level index of a format-2 table: one entry per partition. */
  PartitionIndex: 5,
} as const;

/** One of the {@linkcode BlockKind} values. */
export type BlockKind = typeof BlockKind[keyof typeof BlockKind];

/** Bytes after each block: kind (u8) and XXH32 of contents plus kind (u32). */
export const BLOCK_TRAILER_BYTES = 5;
/** Size of the footer at the end of the file. */
export const FOOTER_BYTES = 52;
/** Offset of the footer checksum inside the footer; it covers the bytes before it. */
const FOOTER_CHECKSUM_OFFSET = 40;
/** Seed of every XXH32 checksum in a table. */
export const CHECKSUM_SEED = 0;

/** Default target size of a data block's contents before it is cut. */
export const DEFAULT_BLOCK_SIZE_BYTES = 8 * 1024;
/** Default number of entries between restart points in a data block. */
export const DEFAULT_RESTART_INTERVAL = 16;
/**
 * Default size at which a partition's index or filter is cut. At 4 KiB, a partition's index and
 * filter each cost one small read, and a partition covers about 60 KB (16-byte keys, 8-byte
 * values) to 1.3 MB (1 KiB values) of data, as measured on tables written with defaults.
 */
export const DEFAULT_PARTITION_SIZE_BYTES = 4 * 1024;
/** Largest accepted data block target, so block lengths stay far below the u32 field. */
export const MAX_BLOCK_SIZE_BYTES = 1024 * 1024;

/** Fixed-size part of the properties block, before the two user keys. */
export const PROPERTIES_FIXED_BYTES = 84;

assert(SSTABLE_MAGIC.length === 8, "the SSTable magic must be 8 bytes");
assert(FOOTER_CHECKSUM_OFFSET + 4 + SSTABLE_MAGIC.length === FOOTER_BYTES, "footer layout");
assert(BLOCK_TRAILER_BYTES === 1 + 4, "block trailer layout");

const TWO_POW_32 = 2 ** 32;
/** A u64 field whose high half exceeds this does not fit a safe integer. */
const MAX_SAFE_HIGH_WORD = Math.floor(Number.MAX_SAFE_INTEGER / TWO_POW_32);

/** Position and length of a block's contents (the trailer follows and is not counted). */
export interface BlockHandle {
  offset: number;
  lengthBytes: number;
}

/** A user key with the sequence of one of its versions; orders like an internal key. */
export interface KeyWithSequence {
  userKey: Uint8Array;
  sequence: number;
}

/** Summary of a table, stored in its properties block. */
export interface SstableProperties {
  formatVersion: number;
  entryCount: number;
  tombstoneCount: number;
  dataBlockCount: number;
  minSequence: number;
  maxSequence: number;
  /** Sum of user key lengths over all entries. */
  rawKeyBytes: number;
  /** Sum of value lengths over all entries. */
  rawValueBytes: number;
  /** First internal key of the table (smallest user key, its newest version). */
  smallest: KeyWithSequence;
  /** Last internal key of the table (largest user key, its oldest version). */
  largest: KeyWithSequence;
  /** Whole file size, footer included. Not stored in the block: taken from the file. */
  fileSizeBytes: number;
}

/** The decoded footer; the first 12 bytes mean different things in the two versions. */
export type Footer =
  | {
    formatVersion: typeof SSTABLE_FORMAT_VERSION_1;
    /** The table's only filter block. */
    filter: BlockHandle;
    properties: BlockHandle;
    /** The table's only index block. */
    index: BlockHandle;
  }
  | {
    formatVersion: typeof SSTABLE_FORMAT_VERSION;
    /** Number of partitions, at least 1; the partition index has one entry for each. */
    partitionCount: number;
    properties: BlockHandle;
    partitionIndex: BlockHandle;
  };

/** Position of a buffer being decoded, for corruption messages. */
export interface DecodeLocation {
  fileName: string;
  /** File offset of the first byte of the buffer being decoded. */
  baseOffset: number;
}

/** Throws a corruption error naming the file and the absolute offset. */
export function corruption(location: DecodeLocation, relativeOffset: number, what: string): never {
  const offset = location.baseOffset + relativeOffset;
  throw new StorageError(
    "corruption",
    `SSTable ${location.fileName} is corrupt at offset ${offset}: ${what}`,
    { file: location.fileName, offset },
  );
}

/** Writes `value` (a safe non-negative integer) as u64 little-endian. */
export function setUint64(view: DataView, offset: number, value: number): void {
  assert(Number.isSafeInteger(value), `u64 value is not a safe integer: ${value}`);
  assert(value >= 0, `u64 value is negative: ${value}`);
  view.setUint32(offset, value % TWO_POW_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_POW_32), true);
}

/** Reads a u64 little-endian, or returns undefined when it exceeds 2^53 - 1. */
export function getUint64(view: DataView, offset: number): number | undefined {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  if (high > MAX_SAFE_HIGH_WORD) return undefined;
  const value = high * TWO_POW_32 + low;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Appends `value` as an unsigned LEB128 varint (at most 8 bytes for values below 2^53). */
export function pushVarint(output: number[], value: number): void {
  assert(Number.isSafeInteger(value), `varint value is not a safe integer: ${value}`);
  assert(value >= 0, `varint value is negative: ${value}`);
  while (value >= 0x80) {
    output.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  output.push(value);
}

/** Growable byte buffer for encoders; avoids a JavaScript array of numbers per byte. */
export class ByteWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialCapacityBytes = 1024) {
    this.#bytes = new Uint8Array(initialCapacityBytes);
  }

  /** Bytes written since the last reset. */
  get length(): number {
    return this.#length;
  }

  /** Appends `value` as an unsigned LEB128 varint, like {@linkcode pushVarint}. */
  varint(value: number): void {
    // The message is built only on failure: this runs several times per entry.
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new AssertionError(`varint value out of range: ${value}`);
    }
    this.#reserve(MAX_VARINT_BYTES);
    while (value >= 0x80) {
      this.#bytes[this.#length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#bytes[this.#length++] = value;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** Appends `bytes[start..]`. */
  bytes(bytes: Uint8Array, start = 0): void {
    const count = bytes.length - start;
    this.#reserve(count);
    this.#bytes.set(start === 0 ? bytes : bytes.subarray(start), this.#length);
    this.#length += count;
  }

  /** Appends a u32, little-endian. */
  uint32(value: number): void {
    this.#reserve(4);
    const bytes = this.#bytes;
    bytes[this.#length] = value & 0xff;
    bytes[this.#length + 1] = (value >>> 8) & 0xff;
    bytes[this.#length + 2] = (value >>> 16) & 0xff;
    bytes[this.#length + 3] = (value >>> 24) & 0xff;
    this.#length += 4;
  }

  /** Returns a copy of the bytes written and empties the buffer, keeping its capacity. */
  take(): Uint8Array {
    const result = this.#bytes.slice(0, this.#length);
    this.#length = 0;
    return result;
  }

  #reserve(count: number): void {
    const needed = this.#length + count;
    if (needed <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/** Maximum varint length accepted by {@linkcode ByteReader.varint}: 8 bytes hold 56 bits. */
export const MAX_VARINT_BYTES = 8;

/**
 * Cursor over a byte buffer that throws a corruption error on any out-of-bounds or malformed
 * field, so decoders never read past their block.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly location: DecodeLocation;
  position: number;

  constructor(bytes: Uint8Array, location: DecodeLocation, position = 0) {
    this.bytes = bytes;
    this.location = location;
    this.position = position;
  }

  /** Reads an unsigned LEB128 varint below 2^53. */
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.bytes[this.position + i];
      if (byte === undefined) corruption(this.location, this.position, `truncated ${what}`);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) {
          corruption(this.location, this.position, `${what} exceeds 2^53`);
        }
        this.position += i + 1;
        return value;
      }
      scale *= 0x80;
    }
    return corruption(this.location, this.position, `${what} varint is too long`);
  }

  /** Returns a view of the next `lengthBytes` bytes (not a copy). */
  view(lengthBytes: number, what: string): Uint8Array {
    const end = this.position + lengthBytes;
    if (end > this.bytes.length) corruption(this.location, this.position, `truncated ${what}`);
    const result = this.bytes.subarray(this.position, end);
    this.position = end;
    return result;
  }

  byte(what: string): number {
    const value = this.bytes[this.position];
    if (value === undefined) corruption(this.location, this.position, `truncated ${what}`);
    this.position++;
    return value;
  }
}

/** Computes the XXH32 checksum stored in a block trailer. */
export function blockChecksum(hasher: Hasher, contentsAndKind: Uint8Array): number {
  return hasher.h32Raw(contentsAndKind, CHECKSUM_SEED) >>> 0;
}

/** Returns `contents` followed by its trailer (kind and checksum), ready to append. */
export function sealBlock(hasher: Hasher, contents: Uint8Array, kind: BlockKind): Uint8Array {
  const sealed = new Uint8Array(contents.length + BLOCK_TRAILER_BYTES);
  sealed.set(contents, 0);
  sealed[contents.length] = kind;
  const checksum = blockChecksum(hasher, sealed.subarray(0, contents.length + 1));
  new DataView(sealed.buffer).setUint32(contents.length + 1, checksum, true);
  return sealed;
}

/**
 * Verifies the trailer of a block read together with its trailer and returns the contents (a
 * view of `sealed`). Throws a corruption error on a kind or checksum mismatch.
 */
export function openBlock(
  hasher: Hasher,
  sealed: Uint8Array,
  expectedKind: BlockKind,
  location: DecodeLocation,
): Uint8Array {
  const contentsLength = sealed.length - BLOCK_TRAILER_BYTES;
  assert(contentsLength >= 0, "a sealed block includes its trailer");
  const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const storedChecksum = view.getUint32(contentsLength + 1, true);
  const actualChecksum = blockChecksum(hasher, sealed.subarray(0, contentsLength + 1));
  if (storedChecksum !== actualChecksum) {
    corruption(
      location,
      0,
      `block checksum mismatch (stored ${hex32(storedChecksum)}, computed ${
        hex32(actualChecksum)
      })`,
    );
  }
  const kind = sealed[contentsLength];
  if (kind !== expectedKind) {
    corruption(location, contentsLength, `block kind ${kind}, expected ${expectedKind}`);
  }
  return sealed.subarray(0, contentsLength);
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

/** Encodes the footer, checksum and magic included. */
export function encodeFooter(hasher: Hasher, footer: Footer): Uint8Array {
  const bytes = new Uint8Array(FOOTER_BYTES);
  const view = new DataView(bytes.buffer);
  if (footer.formatVersion === SSTABLE_FORMAT_VERSION_1) {
    setUint64(view, 0, footer.filter.offset);
    view.setUint32(8, footer.filter.lengthBytes, true);
  } else {
    // Bytes 0 to 7 are reserved and stay zero.
    view.setUint32(8, footer.partitionCount, true);
  }
  const index = footer.formatVersion === SSTABLE_FORMAT_VERSION_1
    ? footer.index
    : footer.partitionIndex;
  setUint64(view, 12, footer.properties.offset);
  view.setUint32(20, footer.properties.lengthBytes, true);
  setUint64(view, 24, index.offset);
  view.setUint32(32, index.lengthBytes, true);
  view.setUint32(36, footer.formatVersion, true);
  const checksum = hasher.h32Raw(bytes.subarray(0, FOOTER_CHECKSUM_OFFSET), CHECKSUM_SEED) >>> 0;
  view.setUint32(FOOTER_CHECKSUM_OFFSET, checksum, true);
  bytes.set(SSTABLE_MAGIC, FOOTER_CHECKSUM_OFFSET + 4);
  return bytes;
}

/**
 * Decodes and verifies a footer: magic, checksum, a supported version, and block handles that lie
 * inside the file before the footer.
 */
export function decodeFooter(
  hasher: Hasher,
  bytes: Uint8Array,
  fileSizeBytes: number,
  location: DecodeLocation,
): Footer {
  assert(bytes.length === FOOTER_BYTES, "the footer is read whole");
  const magicOffset = FOOTER_CHECKSUM_OFFSET + 4;
  for (let i = 0; i < SSTABLE_MAGIC.length; i++) {
    if (bytes[magicOffset + i] !== SSTABLE_MAGIC[i]) {
      corruption(location, magicOffset, "bad magic number (not an SSTable, or truncated)");
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedChecksum = view.getUint32(FOOTER_CHECKSUM_OFFSET, true);
  const actualChecksum = hasher.h32Raw(bytes.subarray(0, FOOTER_CHECKSUM_OFFSET), CHECKSUM_SEED) >>>
    0;
  if (storedChecksum !== actualChecksum) {
    corruption(location, FOOTER_CHECKSUM_OFFSET, "footer checksum mismatch");
  }
  const formatVersion = view.getUint32(36, true);
  const dataEnd = fileSizeBytes - FOOTER_BYTES;
  const handle = (at: number, name: string): BlockHandle => {
    const offset = getUint64(view, at);
    const lengthBytes = view.getUint32(at + 8, true);
    if (offset === undefined || offset + lengthBytes + BLOCK_TRAILER_BYTES > dataEnd) {
      corruption(location, at, `${name} block handle points outside the file`);
    }
    return { offset, lengthBytes };
  };
  if (formatVersion === SSTABLE_FORMAT_VERSION_1) {
    return {
      formatVersion,
      filter: handle(0, "filter"),
      properties: handle(12, "properties"),
      index: handle(24, "index"),
    };
  }
  if (formatVersion !== SSTABLE_FORMAT_VERSION) {
    corruption(location, 36, `unsupported format version ${formatVersion}`);
  }
  if (view.getUint32(0, true) !== 0 || view.getUint32(4, true) !== 0) {
    corruption(location, 0, "reserved footer bytes are not zero");
  }
  const partitionCount = view.getUint32(8, true);
  if (partitionCount === 0) corruption(location, 8, "partition count is zero");
  return {
    formatVersion,
    partitionCount,
    properties: handle(12, "properties"),
    partitionIndex: handle(24, "partition index"),
  };
}

/** Encodes the properties block contents (without `fileSizeBytes`, which comes from the file). */
export function encodeProperties(properties: Omit<SstableProperties, "fileSizeBytes">): Uint8Array {
  const smallestKey = properties.smallest.userKey;
  const largestKey = properties.largest.userKey;
  const bytes = new Uint8Array(PROPERTIES_FIXED_BYTES + smallestKey.length + largestKey.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, properties.formatVersion, true);
  setUint64(view, 4, properties.entryCount);
  setUint64(view, 12, properties.tombstoneCount);
  setUint64(view, 20, properties.dataBlockCount);
  setUint64(view, 28, properties.minSequence);
  setUint64(view, 36, properties.maxSequence);
  setUint64(view, 44, properties.rawKeyBytes);
  setUint64(view, 52, properties.rawValueBytes);
  setUint64(view, 60, properties.smallest.sequence);
  setUint64(view, 68, properties.largest.sequence);
  view.setUint32(76, smallestKey.length, true);
  view.setUint32(80, largestKey.length, true);
  bytes.set(smallestKey, PROPERTIES_FIXED_BYTES);
  bytes.set(largestKey, PROPERTIES_FIXED_BYTES + smallestKey.length);
  return bytes;
}

/** Decodes verified properties block contents; the user keys are copies. */
export function decodeProperties(
  contents: Uint8Array,
  fileSizeBytes: number,
  location: DecodeLocation,
): SstableProperties {
  if (contents.length < PROPERTIES_FIXED_BYTES) {
    corruption(location, 0, "properties block is too short");
  }
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  const u64 = (at: number, name: string): number =>
    getUint64(view, at) ?? corruption(location, at, `${name} exceeds 2^53`);
  const smallestLength = view.getUint32(76, true);
  const largestLength = view.getUint32(80, true);
  if (PROPERTIES_FIXED_BYTES + smallestLength + largestLength !== contents.length) {
    corruption(location, 76, "properties key lengths do not match the block length");
  }
  const smallestStart = PROPERTIES_FIXED_BYTES;
  const largestStart = smallestStart + smallestLength;
  return {
    formatVersion: view.getUint32(0, true),
    entryCount: u64(4, "entry count"),
    tombstoneCount: u64(12, "tombstone count"),
    dataBlockCount: u64(20, "data block count"),
    minSequence: u64(28, "min sequence"),
    maxSequence: u64(36, "max sequence"),
    rawKeyBytes: u64(44, "raw key bytes"),
    rawValueBytes: u64(52, "raw value bytes"),
    smallest: {
      userKey: contents.slice(smallestStart, largestStart),
      sequence: u64(60, "smallest sequence"),
    },
    largest: {
      userKey: contents.slice(largestStart, largestStart + largestLength),
      sequence: u64(68, "largest sequence"),
    },
    fileSizeBytes,
  };
}
