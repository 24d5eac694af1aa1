/**
 * SSTable data blocks: the builder used by `sstable_writer.ts` and the decoders used by
 * `sstable_reader.ts`. Layout in `storage/FORMAT.md`, section "SSTable data block".
 *
 * Entries are sorted by `compareInternal` (user key ascending, sequence descending). Each user key
 * is stored as the length of the prefix it shares with the previous entry's user key plus the
 * remaining bytes. Every `restartInterval` entries a restart point stores the whole key, and the
 * block ends with the restart offsets so a lookup binary-searches them before scanning forward.
 *
 * @module
 */

import { compareInternal, EntryKind, type InternalEntry } from "./internal_key.ts";
import { ByteReader, corruption, type DecodeLocation, pushVarint } from "./sstable_format.ts";
import { assert } from "../util/assert.ts";

/** Accumulates the entries of one data block. */
export class DataBlockBuilder {
  readonly #restartInterval: number;
  #output: number[] = [];
  #restarts: number[] = [];
  #entriesSinceRestart = 0;
  #previousKey: Uint8Array = new Uint8Array(0);
  #entryCount = 0;

  constructor(restartInterval: number) {
    assert(
      Number.isInteger(restartInterval),
      `restart interval is not an integer: ${restartInterval}`,
    );
    assert(restartInterval >= 1, `restart interval must be at least 1: ${restartInterval}`);
    this.#restartInterval = restartInterval;
  }

  /** Number of entries added since the last reset. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Size the block would have if finished now. */
  get estimatedSizeBytes(): number {
    return this.#output.length + 4 * (this.#restarts.length + 1);
  }

  /** Appends an entry; the caller guarantees `compareInternal` order. */
  add(entry: InternalEntry): void {
    let shared = 0;
    if (this.#entriesSinceRestart === this.#restartInterval || this.#entryCount === 0) {
      this.#restarts.push(this.#output.length);
      this.#entriesSinceRestart = 0;
    } else {
      shared = sharedPrefixLength(this.#previousKey, entry.userKey);
    }
    const output = this.#output;
    pushVarint(output, shared);
    pushVarint(output, entry.userKey.length - shared);
    pushVarint(output, entry.value.length);
    output.push(entry.kind);
    pushVarint(output, entry.sequence);
    for (let i = shared; i < entry.userKey.length; i++) output.push(entry.userKey[i]!);
    for (let i = 0; i < entry.value.length; i++) output.push(entry.value[i]!);
    this.#previousKey = entry.userKey;
    this.#entriesSinceRestart++;
    this.#entryCount++;
  }

  /** Returns the block contents and resets the builder for the next block. */
  finish(): Uint8Array {
    assert(this.#entryCount > 0, "a data block holds at least one entry");
    const bodyLength = this.#output.length;
    const bytes = new Uint8Array(bodyLength + 4 * (this.#restarts.length + 1));
    bytes.set(this.#output, 0);
    const view = new DataView(bytes.buffer);
    this.#restarts.forEach((offset, i) => view.setUint32(bodyLength + 4 * i, offset, true));
    view.setUint32(bytes.length - 4, this.#restarts.length, true);
    this.#output = [];
    this.#restarts = [];
    this.#entriesSinceRestart = 0;
    this.#previousKey = new Uint8Array(0);
    this.#entryCount = 0;
    return bytes;
  }
}

function sharedPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a[i] === b[i]) i++;
  return i;
}

/** A verified data block's contents with its restart array located. */
export class DataBlock {
  readonly contents: Uint8Array;
  readonly location: DecodeLocation;
  /** Length of the entry area, before the restart offsets. */
  readonly entriesEndOffset: number;
  readonly restartOffsets: Uint32Array;

  constructor(contents: Uint8Array, location: DecodeLocation) {
    if (contents.length < 4) corruption(location, 0, "data block is too short");
    const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
    const restartCount = view.getUint32(contents.length - 4, true);
    const entriesEnd = contents.length - 4 - 4 * restartCount;
    if (restartCount === 0 || entriesEnd < 0) {
      corruption(location, contents.length - 4, `invalid restart count ${restartCount}`);
    }
    const restarts = new Uint32Array(restartCount);
    for (let i = 0; i < restartCount; i++) {
      const offset = view.getUint32(entriesEnd + 4 * i, true);
      if (offset >= entriesEnd || (i > 0 && offset <= restarts[i - 1]!)) {
        corruption(location, entriesEnd + 4 * i, `invalid restart offset ${offset}`);
      }
      restarts[i] = offset;
    }
    if (restarts[0] !== 0) corruption(location, entriesEnd, "first restart offset is not 0");
    this.contents = contents;
    this.location = location;
    this.entriesEndOffset = entriesEnd;
    this.restartOffsets = restarts;
  }

  /** Decodes every entry, in block order. Keys and values are fresh copies. */
  entries(): InternalEntry[] {
    const cursor = new EntryCursor(this, 0);
    const result: InternalEntry[] = [];
    while (!cursor.atEnd()) result.push(cursor.next(true));
    return result;
  }

  /**
   * Returns the first entry ordered at or after (`userKey`, `sequence`) in `compareInternal`
   * order, or undefined when every entry of the block is before it.
   */
  seek(userKey: Uint8Array, sequence: number): InternalEntry | undefined {
    const target = { userKey, sequence };
    // Binary search for the last restart point whose key is before the target.
    let low = 0;
    let high = this.restartOffsets.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      const entry = new EntryCursor(this, this.restartOffsets[middle]!).next(false);
      if (compareInternal(entry, target) < 0) low = middle;
      else high = middle - 1;
    }
    const cursor = new EntryCursor(this, this.restartOffsets[low]!);
    while (!cursor.atEnd()) {
      const entry = cursor.next(false);
      if (compareInternal(entry, target) >= 0) {
        return { ...entry, userKey: entry.userKey.slice(), value: entry.value.slice() };
      }
    }
    return undefined;
  }
}

/** Sequential decoder over a block's entries, rebuilding prefix-compressed keys. */
class EntryCursor {
  readonly #block: DataBlock;
  readonly #reader: ByteReader;
  #previousKey: Uint8Array = new Uint8Array(0);

  constructor(block: DataBlock, offset: number) {
    this.#block = block;
    const entryArea = block.contents.subarray(0, block.entriesEndOffset);
    this.#reader = new ByteReader(entryArea, block.location, offset);
  }

  atEnd(): boolean {
    return this.#reader.position >= this.#block.entriesEndOffset;
  }

  /** Decodes the next entry; with `copy` false the value is a view of the block. */
  next(copy: boolean): InternalEntry {
    const reader = this.#reader;
    const start = reader.position;
    const shared = reader.varint("shared key length");
    const unshared = reader.varint("unshared key length");
    const valueLength = reader.varint("value length");
    const kind = reader.byte("entry kind");
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete) {
      corruption(this.#block.location, reader.position - 1, `unknown entry kind ${kind}`);
    }
    const sequence = reader.varint("sequence");
    if (shared > this.#previousKey.length) {
      corruption(this.#block.location, start, "shared key length exceeds the previous key");
    }
    const suffix = reader.view(unshared, "key");
    const userKey = new Uint8Array(shared + unshared);
    userKey.set(this.#previousKey.subarray(0, shared), 0);
    userKey.set(suffix, shared);
    const valueView = reader.view(valueLength, "value");
    this.#previousKey = userKey;
    return { userKey, sequence, kind, value: copy ? valueView.slice() : valueView };
  }
}
