/**
 * Merges sorted sources of internal entries (memtables and SSTables) into one ordered stream.
 * Range scans use {@linkcode mergeVisible}, which yields each user key's newest version visible
 * at a snapshot and hides tombstones. Compaction uses {@linkcode mergeRaw}, which yields every
 * version.
 *
 * Every source must yield entries in `compareInternal` order (user key ascending, sequence
 * descending), or in exactly the reverse order when `reverse` is set. An out-of-order source is a
 * programmer error and asserts. Sources are listed newest first: when two sources yield the same
 * user key and sequence, only the entry of the earlier source is kept. The merge is a binary heap
 * over the sources' current entries, so each entry costs O(log sources) comparisons.
 *
 * Entries and their arrays are passed through unchanged, not copied.
 *
 * {@linkcode mergeVisibleSync} is the same merge for sources that are all synchronous (memtables),
 * without a promise per entry. Both share the heap and the visibility rules below.
 *
 * @module
 */

import { compareKeys, type Entry } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry } from "./internal_key.ts";
import { assert, AssertionError } from "../util/assert.ts";

/** A sorted stream of versions: an SSTable scan (async) or a memtable iterator (sync). */
export type EntrySource = AsyncIterable<InternalEntry> | Iterable<InternalEntry>;

/** Direction of a merge. */
export interface MergeOptions {
  /** Merge sources that yield the reverse of `compareInternal` order. */
  reverse?: boolean;
}

/** Options of {@linkcode mergeVisible}. */
export interface VisibleMergeOptions extends MergeOptions {
  /** Versions with a larger sequence are invisible. */
  snapshotSequence: number;
}

interface Cursor {
  iterator: AsyncIterator<InternalEntry> | Iterator<InternalEntry>;
  entry: InternalEntry;
  sourceIndex: number;
}

/**
 * Yields every version from all sources in merged order, dropping exact duplicates (same user key
 * and sequence) from later sources.
 */
export async function* mergeRaw(
  sources: readonly EntrySource[],
  options: MergeOptions = {},
): AsyncGenerator<InternalEntry> {
  const direction = options.reverse ? -1 : 1;
  const heap = new CursorHeap((a, b) =>
    direction * compareInternal(a.entry, b.entry) || a.sourceIndex - b.sourceIndex
  );
  const iterators = sources.map(openIterator);
  try {
    for (let i = 0; i < iterators.length; i++) {
      const cursor = await advance(iterators[i]!, i, undefined, direction);
      if (cursor !== undefined) heap.push(cursor);
    }
    let previous: InternalEntry | undefined;
    while (heap.size > 0) {
      const cursor = heap.peek();
      const entry = cursor.entry;
      const next = await advance(cursor.iterator, cursor.sourceIndex, entry, direction);
      if (next === undefined) heap.pop();
      else heap.replaceTop(next);
      if (previous !== undefined && compareInternal(previous, entry) === 0) continue;
      previous = entry;
      yield entry;
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

/**
 * Yields, in key order (or reverse key order), each user key whose newest version at or below
 * `snapshotSequence` is a put, with that version's value. Keys whose newest visible version is a
 * tombstone, and keys with no visible version, are skipped.
 */
export async function* mergeVisible(
  sources: readonly EntrySource[],
  options: VisibleMergeOptions,
): AsyncGenerator<Entry> {
  const filter = new VisibilityFilter(options);
  for await (const entry of mergeRaw(sources, options)) {
    const visible = filter.next(entry);
    if (visible !== undefined) yield visible;
  }
  const last = filter.finish();
  if (last !== undefined) yield last;
}

/** {@linkcode mergeVisible} for synchronous sources only. */
export function* mergeVisibleSync(
  sources: readonly Iterable<InternalEntry>[],
  options: VisibleMergeOptions,
): Generator<Entry> {
  const filter = new VisibilityFilter(options);
  for (const entry of mergeRawSync(sources, options)) {
    const visible = filter.next(entry);
    if (visible !== undefined) yield visible;
  }
  const last = filter.finish();
  if (last !== undefined) yield last;
}

/** {@linkcode mergeRaw} for synchronous sources only. */
function* mergeRawSync(
  sources: readonly Iterable<InternalEntry>[],
  options: MergeOptions,
): Generator<InternalEntry> {
  const direction = options.reverse ? -1 : 1;
  const heap = new CursorHeap((a, b) =>
    direction * compareInternal(a.entry, b.entry) || a.sourceIndex - b.sourceIndex
  );
  const iterators = sources.map((source) => source[Symbol.iterator]());
  try {
    for (let i = 0; i < iterators.length; i++) {
      const cursor = advanceSync(iterators[i]!, i, undefined, direction);
      if (cursor !== undefined) heap.push(cursor);
    }
    let previous: InternalEntry | undefined;
    while (heap.size > 0) {
      const cursor = heap.peek();
      const entry = cursor.entry;
      const next = advanceSync(
        cursor.iterator as Iterator<InternalEntry>,
        cursor.sourceIndex,
        entry,
        direction,
      );
      if (next === undefined) heap.pop();
      else heap.replaceTop(next);
      if (previous !== undefined && compareInternal(previous, entry) === 0) continue;
      previous = entry;
      yield entry;
    }
  } finally {
    for (const iterator of iterators) iterator.return?.();
  }
}

/**
 * Picks, from versions in merged order, each user key's newest version visible at the snapshot
 * when it is a put. Forward, versions of a key arrive newest first, so the first visible one
 * decides the key. In reverse they arrive oldest first, so the decision waits for the key to end.
 */
class VisibilityFilter {
  readonly #snapshotSequence: number;
  readonly #reverse: boolean;
  #currentKey: Uint8Array | undefined;
  #decided = false;
  #newestVisible: InternalEntry | undefined;

  constructor(options: VisibleMergeOptions) {
    this.#snapshotSequence = options.snapshotSequence;
    this.#reverse = options.reverse ?? false;
  }

  /** Takes the next version; returns an entry once one is decided. */
  next(entry: InternalEntry): Entry | undefined {
    const newKey = this.#currentKey === undefined ||
      compareKeys(entry.userKey, this.#currentKey) !== 0;
    if (!this.#reverse) {
      if (newKey) {
        this.#currentKey = entry.userKey;
        this.#decided = false;
      }
      if (this.#decided || entry.sequence > this.#snapshotSequence) return undefined;
      this.#decided = true;
      return entry.kind === EntryKind.Put ? { key: entry.userKey, value: entry.value } : undefined;
    }
    let decided: Entry | undefined;
    if (newKey) {
      decided = this.finish();
      this.#currentKey = entry.userKey;
      this.#newestVisible = undefined;
    }
    if (entry.sequence <= this.#snapshotSequence) this.#newestVisible = entry;
    return decided;
  }

  /** Returns the entry still undecided at the end of the stream (reverse merges only). */
  finish(): Entry | undefined {
    const newest = this.#newestVisible;
    this.#newestVisible = undefined;
    return newest?.kind === EntryKind.Put
      ? { key: newest.userKey, value: newest.value }
      : undefined;
  }
}

function openIterator(source: EntrySource): AsyncIterator<InternalEntry> | Iterator<InternalEntry> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  return source[Symbol.iterator]();
}

/** Reads the next entry of a source, asserting that the source keeps its order. */
async function advance(
  iterator: AsyncIterator<InternalEntry> | Iterator<InternalEntry>,
  sourceIndex: number,
  previous: InternalEntry | undefined,
  direction: number,
): Promise<Cursor | undefined> {
  const result = await iterator.next();
  if (result.done) return undefined;
  checkOrder(previous, result.value, sourceIndex, direction);
  return { iterator, entry: result.value, sourceIndex };
}

/** {@linkcode advance} for a synchronous source. */
function advanceSync(
  iterator: Iterator<InternalEntry>,
  sourceIndex: number,
  previous: InternalEntry | undefined,
  direction: number,
): Cursor | undefined {
  const result = iterator.next();
  if (result.done) return undefined;
  checkOrder(previous, result.value, sourceIndex, direction);
  return { iterator, entry: result.value, sourceIndex };
}

function checkOrder(
  previous: InternalEntry | undefined,
  entry: InternalEntry,
  sourceIndex: number,
  direction: number,
): void {
  // The message is built only on failure: this runs once per entry.
  if (previous !== undefined && direction * compareInternal(previous, entry) >= 0) {
    throw new AssertionError(
      `merge source ${sourceIndex} is out of order at sequence ${entry.sequence}`,
    );
  }
}

/** Binary min-heap of cursors under a comparator. */
class CursorHeap {
  readonly #items: Cursor[] = [];
  readonly #compare: (a: Cursor, b: Cursor) => number;

  constructor(compare: (a: Cursor, b: Cursor) => number) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): Cursor {
    const top = this.#items[0];
    assert(top !== undefined, "peek on an empty heap");
    return top;
  }

  push(cursor: Cursor): void {
    const items = this.#items;
    items.push(cursor);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (this.#compare(items[index]!, items[parent]!) >= 0) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }

  pop(): void {
    const items = this.#items;
    const last = items.pop();
    assert(last !== undefined, "pop on an empty heap");
    if (items.length > 0) this.replaceTop(last);
  }

  /** Replaces the smallest cursor and restores heap order. */
  replaceTop(cursor: Cursor): void {
    const items = this.#items;
    items[0] = cursor;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && this.#compare(items[left]!, items[smallest]!) < 0) smallest = left;
      if (right < items.length && this.#compare(items[right]!, items[smallest]!) < 0) {
        smallest = right;
      }
      if (smallest === index) return;
      [items[index], items[smallest]] = [items[smallest]!, items[index]!];
      index = smallest;
    }
  }
}
