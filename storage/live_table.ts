/**
 * A live SSTable: an open reader shared by every read that started while the table was part of
 * the database, closed only when the last of them ends.
 *
 * The engine's table list holds one reference. A read takes a reference for each table it may
 * visit and drops it when done. Compaction drops the list's reference when it replaces the
 * table. The file itself may be removed earlier: an open handle keeps reading the removed file on
 * POSIX systems and on the simulated disk.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import type { SstableReader } from "./sstable_reader.ts";
import type { SstableProperties } from "./sstable_format.ts";

/** A table reader with a reference count; see the module documentation. */
export class LiveTable {
  readonly fileNumber: number;
  readonly path: string;
  readonly reader: SstableReader;
  #references = 1;

  constructor(fileNumber: number, path: string, reader: SstableReader) {
    this.fileNumber = fileNumber;
    this.path = path;
    this.reader = reader;
  }

  get properties(): SstableProperties {
    return this.reader.properties;
  }

  /** Whole file size in bytes; the size compaction picking groups by. */
  get sizeBytes(): number {
    return this.reader.properties.fileSizeBytes;
  }

  /** Adds a reference; the table must still be referenced. */
  acquire(): void {
    assert(this.#references > 0, `table ${this.path} acquired after its reader was closed`);
    this.#references++;
  }

  /** Drops a reference, closing the reader when it was the last one. */
  release(): void {
    assert(this.#references > 0, `table ${this.path} released more often than acquired`);
    this.#references--;
    if (this.#references === 0) void this.reader.close().catch(() => {});
  }
}

/** Orders tables newest data first (max sequence descending), the order reads visit them in. */
export function compareNewestFirst(a: LiveTable, b: LiveTable): number {
  return b.properties.maxSequence - a.properties.maxSequence;
}
