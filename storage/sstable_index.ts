/**
 * SSTable index blocks, kept compact so they can live in the block cache: the index of a
 * partition (one entry per data block) and the partition index at the top of a format-2 table (one
 * entry per partition). Layout in `storage/FORMAT.md`, sections "Index block" and "Partition
 * index block". Used by `sstable_writer.ts` to encode and by `sstable_reader.ts` to search.
 *
 * An entry is the last internal key (user key and sequence) of what it covers, followed by one
 * or more block handles. Entries are strictly increasing in `compareInternal` order, so a binary
 * search finds the first entry at or after a target key.
 *
 * A decoded block keeps its verified bytes and one u32 offset per entry instead of an object per
 * entry, so its memory is its byte length plus four bytes per entry, which is what the cache
 * charges for it.
 *
 * @module
 */

import { compareInternal } from "./internal_key.ts";
import {
  type BlockHandle,
  ByteReader,
  ByteWriter,
  corruption,
  type DecodeLocation,
  type KeyWithSequence,
} from "./sstable_format.ts";
import { assert } from "../util/assert.ts";

/** Bytes charged per cached index block on top of its contents, for the objects around them. */
export const INDEX_BLOCK_OVERHEAD_BYTES = 128;

/** One entry to encode: the last key of what it covers and where that is. */
export interface IndexBlockEntry extends KeyWithSequence {
  handles: readonly BlockHandle[];
}

/**
 * Encodes index block contents: every entry as key length (varint), user key, sequence (varint)
 * and `handleCount` handles of offset and length (varints), then the entry count (u32).
 */
export function encodeIndexBlock(
  entries: readonly IndexBlockEntry[],
  handleCount: number,
): Uint8Array {
  const output = new ByteWriter();
  for (const entry of entries) {
    assert(entry.handles.length === handleCount, "every index entry has the same handle count");
    output.varint(entry.userKey.length);
    output.bytes(entry.userKey);
    output.varint(entry.sequence);
    for (const handle of entry.handles) {
      output.varint(handle.offset);
      output.varint(handle.lengthBytes);
    }
  }
  output.uint32(entries.length);
  return output.take();
}

/** A verified, searchable index block. Immutable; shared through the block cache. */
export class IndexBlock {
  readonly contents: Uint8Array;
  readonly location: DecodeLocation;
  /** Handles after each entry's key: 1 in a partition's index, 2 in the partition index. */
  readonly handleCount: number;
  /** Offset in `contents` of each entry. */
  readonly #entryOffsets: Uint32Array;

  private constructor(
    contents: Uint8Array,
    location: DecodeLocation,
    handleCount: number,
    entryOffsets: Uint32Array,
  ) {
    this.contents = contents;
    this.location = location;
    this.handleCount = handleCount;
    this.#entryOffsets = entryOffsets;
  }

  /**
   * Decodes verified block contents (a view is kept, so they must not change). Throws a
   * corruption error when a field is malformed, entries are out of order, the count does not
   * match, or the block is empty.
   */
  static decode(contents: Uint8Array, location: DecodeLocation, handleCount: number): IndexBlock {
    if (contents.length < 4) corruption(location, 0, "index block is too short");
    const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
    const count = view.getUint32(contents.length - 4, true);
    if (count === 0) corruption(location, contents.length - 4, "index block has no entries");
    // Each entry takes at least 2 + 2 × handleCount bytes, so a huge count is caught here.
    if (count * (2 + 2 * handleCount) > contents.length - 4) {
      corruption(location, contents.length - 4, `index entry count ${count} exceeds the block`);
    }
    const reader = new ByteReader(contents.subarray(0, contents.length - 4), location);
    const entryOffsets = new Uint32Array(count);
    let previous: KeyWithSequence | undefined;
    for (let i = 0; i < count; i++) {
      entryOffsets[i] = reader.position;
      const keyLength = reader.varint("index key length");
      const userKey = reader.view(keyLength, "index key");
      const sequence = reader.varint("index sequence");
      for (let handle = 0; handle < handleCount; handle++) {
        reader.varint("block offset");
        reader.varint("block length");
      }
      const current = { userKey, sequence };
      if (previous !== undefined && compareInternal(previous, current) >= 0) {
        corruption(location, entryOffsets[i]!, `index entries ${i - 1} and ${i} are out of order`);
      }
      previous = current;
    }
    if (reader.position !== reader.bytes.length) {
      corruption(location, reader.position, "index block has trailing bytes");
    }
    return new IndexBlock(contents, location, handleCount, entryOffsets);
  }

  /** Number of entries, at least 1. */
  get length(): number {
    return this.#entryOffsets.length;
  }

  /** Bytes the block cache charges for this block. */
  get cacheChargeBytes(): number {
    return this.contents.byteLength + this.#entryOffsets.byteLength + INDEX_BLOCK_OVERHEAD_BYTES;
  }

  /** Returns the key of entry `index`; the user key is a view of the block, not to be changed. */
  key(index: number): KeyWithSequence {
    const reader = this.#readerAt(index);
    const keyLength = reader.varint("index key length");
    const userKey = reader.view(keyLength, "index key");
    return { userKey, sequence: reader.varint("index sequence") };
  }

  /** Returns handle `slot` (0-based, below `handleCount`) of entry `index`. */
  handle(index: number, slot = 0): BlockHandle {
    assert(slot < this.handleCount, `handle slot ${slot} of ${this.handleCount}`);
    const reader = this.#readerAt(index);
    reader.view(reader.varint("index key length"), "index key");
    reader.varint("index sequence");
    for (let skipped = 0; skipped < slot; skipped++) {
      reader.varint("block offset");
      reader.varint("block length");
    }
    return { offset: reader.varint("block offset"), lengthBytes: reader.varint("block length") };
  }

  /**
   * Returns the index of the first entry at or after (`userKey`, `sequence`) in `compareInternal`
   * order, or undefined when every entry is before it.
   */
  find(userKey: Uint8Array, sequence: number): number | undefined {
    let low = 0;
    let high = this.#entryOffsets.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#compareEntry(middle, userKey, sequence) < 0) low = middle + 1;
      else high = middle;
    }
    return low < this.#entryOffsets.length ? low : undefined;
  }

  #readerAt(index: number): ByteReader {
    const offset = this.#entryOffsets[index];
    assert(offset !== undefined, `index entry ${index} of ${this.length}`);
    return new ByteReader(this.contents, this.location, offset);
  }

  /**
   * Compares entry `index` with (`userKey`, `sequence`) like `compareInternal`, reading the key in
   * place. The entry was verified by `decode`, so its varints are well formed.
   */
  #compareEntry(index: number, userKey: Uint8Array, sequence: number): number {
    const bytes = this.contents;
    let position = this.#entryOffsets[index]!;
    let keyLength = 0;
    for (let scale = 1;; scale *= 0x80) {
      const byte = bytes[position++]!;
      keyLength += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    const length = Math.min(keyLength, userKey.length);
    for (let i = 0; i < length; i++) {
      const difference = bytes[position + i]! - userKey[i]!;
      if (difference !== 0) return difference;
    }
    if (keyLength !== userKey.length) return keyLength - userKey.length;
    position += keyLength;
    let entrySequence = 0;
    for (let scale = 1;; scale *= 0x80) {
      const byte = bytes[position++]!;
      entrySequence += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    return sequence - entrySequence;
  }
}
