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

import { EntryKind, type InternalEntry } from "./internal_key.ts";
import { ByteWriter, corruption, type DecodeLocation, MAX_VARINT_BYTES } from "./sstable_format.ts";
import { assert } from "../util/assert.ts";
import { BLOCK_OVERHEAD_BYTES } from "./block_cache.ts";

/** Accumulates the entries of one data block. */
export class DataBlockBuilder {
  readonly #restartInterval: number;
  readonly #output = new ByteWriter(16 * 1024);
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

  /**
   * Appends an entry; the caller guarantees `compareInternal` order. The builder keeps a
   * reference to `entry.userKey` until the next call, so it must not change in between.
   */
  add(entry: InternalEntry): void {
    let shared = 0;
    if (this.#entriesSinceRestart === this.#restartInterval || this.#entryCount === 0) {
      this.#restarts.push(this.#output.length);
      this.#entriesSinceRestart = 0;
    } else {
      shared = sharedPrefixLength(this.#previousKey, entry.userKey);
    }
    const output = this.#output;
    output.varint(shared);
    output.varint(entry.userKey.length - shared);
    output.varint(entry.value.length);
    output.byte(entry.kind);
    output.varint(entry.sequence);
    output.bytes(entry.userKey, shared);
    output.bytes(entry.value);
    this.#previousKey = entry.userKey;
    this.#entriesSinceRestart++;
    this.#entryCount++;
  }

  /** Returns the block contents and resets the builder for the next block. */
  finish(): Uint8Array {
    assert(this.#entryCount > 0, "a data block holds at least one entry");
    for (const offset of this.#restarts) this.#output.uint32(offset);
    this.#output.uint32(this.#restarts.length);
    const bytes = this.#output.take();
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

  /** Bytes the block cache charges for this block: contents, restart array and objects. */
  get cacheChargeBytes(): number {
    return this.contents.byteLength + this.restartOffsets.byteLength + BLOCK_OVERHEAD_BYTES;
  }

  /**
   * Decodes every entry, in block order. Keys and values are views of one private copy of the
   * block made for this call, so callers may keep or mutate them without touching the cache.
   */
  entries(): InternalEntry[] {
    const cursor = new EntryCursor(this, 0);
    const result: InternalEntry[] = [];
    const copy = this.contents.slice(0, this.entriesEndOffset);
    let keys = new Uint8Array(Math.min(this.entriesEndOffset, 4096));
    let keysUsed = 0;
    while (!cursor.atEnd()) {
      cursor.next();
      // Keys are rebuilt from shared prefixes, so they are packed into their own buffer.
      const keyLength = cursor.keyLength;
      if (keysUsed + keyLength > keys.length) {
        keys = new Uint8Array(Math.max(keyLength, 4096));
        keysUsed = 0;
      }
      const userKey = cursor.copyKeyInto(keys, keysUsed);
      keysUsed += keyLength;
      result.push({
        userKey,
        sequence: cursor.sequence,
        kind: cursor.kind,
        value: copy.subarray(cursor.valueStart, cursor.valueStart + cursor.valueLength),
      });
    }
    return result;
  }

  /**
   * Returns the first entry ordered at or after (`userKey`, `sequence`) in `compareInternal`
   * order, or undefined when every entry of the block is before it. Its value is a view of the
   * block, which must not be modified.
   */
  seek(userKey: Uint8Array, sequence: number): InternalEntry | undefined {
    // Binary search for the last restart point whose key is before the target. Restart entries
    // store their whole key, so each probe decodes one entry.
    const cursor = new EntryCursor(this, 0);
    let low = 0;
    let high = this.restartOffsets.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      cursor.moveToRestart(this.restartOffsets[middle]!);
      cursor.next();
      if (cursor.compareTo(userKey, sequence) < 0) low = middle;
      else high = middle - 1;
    }
    cursor.moveToRestart(this.restartOffsets[low]!);
    while (!cursor.atEnd()) {
      cursor.next();
      if (cursor.compareTo(userKey, sequence) >= 0) return cursor.entry();
    }
    return undefined;
  }
}

/**
 * Key buffer shared by all cursors, so a lookup allocates no buffer of its own. Sharing is safe
 * because a cursor lives only inside one synchronous `seek` or `entries` call.
 */
let scratchKey = new Uint8Array(256);

/**
 * Sequential decoder over a block's entries. The current key is rebuilt in a reusable buffer,
 * so stepping over entries allocates nothing until {@linkcode EntryCursor.entry} copies one out.
 */
class EntryCursor {
  readonly #block: DataBlock;
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #position: number;
  #key = scratchKey;
  #keyLength = 0;
  #sequence = 0;
  #kind: EntryKind = EntryKind.Put;
  #valueStart = 0;
  #valueLength = 0;

  constructor(block: DataBlock, offset: number) {
    this.#block = block;
    this.#bytes = block.contents;
    this.#end = block.entriesEndOffset;
    this.#position = offset;
  }

  /** Moves to the entry at a restart offset, which stores its whole key. */
  moveToRestart(offset: number): void {
    this.#position = offset;
    this.#keyLength = 0;
  }

  atEnd(): boolean {
    return this.#position >= this.#end;
  }

  /** Decodes the next entry into the cursor's fields. */
  next(): void {
    const start = this.#position;
    const shared = this.#varint("shared key length");
    const unshared = this.#varint("unshared key length");
    const valueLength = this.#varint("value length");
    if (this.#position >= this.#end) this.#fail(this.#position, "truncated entry kind");
    const kind = this.#bytes[this.#position++]!;
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete) {
      this.#fail(this.#position - 1, `unknown entry kind ${kind}`);
    }
    const sequence = this.#varint("sequence");
    if (shared > this.#keyLength) this.#fail(start, "shared key length exceeds the previous key");
    const keyEnd = this.#position + unshared;
    const valueEnd = keyEnd + valueLength;
    if (valueEnd > this.#end) this.#fail(this.#position, "entry runs past the block");

    const keyLength = shared + unshared;
    if (keyLength > this.#key.length) {
      const grown = new Uint8Array(Math.max(keyLength, this.#key.length * 2));
      grown.set(this.#key.subarray(0, shared));
      this.#key = grown;
      scratchKey = grown;
    }
    // A loop, not set() with a subarray: keys are short, and a subarray allocates a view.
    const key = this.#key;
    const bytes = this.#bytes;
    for (let from = this.#position, to = shared; from < keyEnd; from++, to++) {
      key[to] = bytes[from]!;
    }
    this.#keyLength = keyLength;
    this.#sequence = sequence;
    this.#kind = kind as EntryKind;
    this.#valueStart = keyEnd;
    this.#valueLength = valueLength;
    this.#position = valueEnd;
  }

  get keyLength(): number {
    return this.#keyLength;
  }

  get sequence(): number {
    return this.#sequence;
  }

  get kind(): EntryKind {
    return this.#kind;
  }

  /** Offset of the current value in the block contents. */
  get valueStart(): number {
    return this.#valueStart;
  }

  get valueLength(): number {
    return this.#valueLength;
  }

  /** Copies the current key into `target` at `offset` and returns a view of the copy. */
  copyKeyInto(target: Uint8Array, offset: number): Uint8Array {
    const view = target.subarray(offset, offset + this.#keyLength);
    view.set(this.#key.subarray(0, this.#keyLength));
    return view;
  }

  /** Compares the current entry with (`userKey`, `sequence`) like `compareInternal`. */
  compareTo(userKey: Uint8Array, sequence: number): number {
    const key = this.#key;
    const keyLength = this.#keyLength;
    const length = Math.min(keyLength, userKey.length);
    for (let i = 0; i < length; i++) {
      const difference = key[i]! - userKey[i]!;
      if (difference !== 0) return difference;
    }
    if (keyLength !== userKey.length) return keyLength - userKey.length;
    return sequence - this.#sequence;
  }

  /**
   * Returns the current entry with its key copied out of the reusable key buffer. The value is a
   * view of the block contents, which the block cache shares, so it must not be modified.
   */
  entry(): InternalEntry {
    return {
      userKey: this.#key.slice(0, this.#keyLength),
      sequence: this.#sequence,
      kind: this.#kind,
      value: this.#bytes.subarray(this.#valueStart, this.#valueStart + this.#valueLength),
    };
  }

  /** Reads a varint inside the entry area; same rules as `ByteReader.varint`, without allocating. */
  #varint(what: string): number {
    const bytes = this.#bytes;
    const start = this.#position;
    // Most lengths fit in one or two bytes.
    if (start + 1 < this.#end) {
      const first = bytes[start]!;
      if (first < 0x80) {
        this.#position = start + 1;
        return first;
      }
      const second = bytes[start + 1]!;
      if (second < 0x80) {
        this.#position = start + 2;
        return (first & 0x7f) + second * 0x80;
      }
    }
    const limit = Math.min(this.#end, start + MAX_VARINT_BYTES);
    let value = 0;
    let scale = 1;
    for (let position = start; position < limit; position++) {
      const byte = bytes[position]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.#fail(start, `${what} exceeds 2^53`);
        this.#position = position + 1;
        return value;
      }
      scale *= 0x80;
    }
    const tooLong = limit === start + MAX_VARINT_BYTES;
    return this.#fail(start, tooLong ? `${what} varint is too long` : `truncated ${what}`);
  }

  #fail(offset: number, what: string): never {
    return corruption(this.#block.location, offset, what);
  }
}
