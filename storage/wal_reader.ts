/**
 * Reads a WAL segment for recovery (`FORMAT.md`, "WAL record", "Recovery").
 *
 * Only the last segment may end in a torn tail: the records of a commit group that was being
 * written when the process or machine stopped, which were never acknowledged in the "always" sync
 * mode. The reader stops at the first record that is incomplete or invalid and reports the offset
 * where the valid prefix ends, so the caller can truncate there. An invalid record followed by a
 * valid one cannot come from a torn append, so it is reported as corruption, as is any invalid
 * record in an earlier segment, which was fully synced before the next segment was created.
 *
 * Any segment may end in zero bytes that the writer preallocated and never overwrote. A record
 * boundary followed only by zeros is the clean end of the segment: a record never starts with a
 * zero length, because its payload has a fixed 12-byte prefix.
 *
 * Runs on the engine's open path only.
 *
 * @module
 */

import { StorageError } from "./engine.ts";
import {
  checkSegmentHeader,
  decodeWalRecordAt,
  WAL_RECORD_HEADER_BYTES,
  WAL_SEGMENT_HEADER_BYTES,
  type WalRecord,
} from "./wal_format.ts";

/** Result of reading one segment. */
export interface WalSegmentContents {
  /** Valid records in file order. */
  records: WalRecord[];
  /** Offset just past the last valid record (0 when even the header is torn). */
  validEndOffset: number;
  /** Whether bytes after `validEndOffset` were dropped as a torn tail. */
  tornTail: boolean;
}

/**
 * Parses the bytes of segment `path`. `isLastSegment` allows a torn tail; anything else that is
 * invalid throws a {@linkcode StorageError} of kind "corruption" naming the file and offset.
 */
export function readWalSegment(
  bytes: Uint8Array,
  path: string,
  isLastSegment: boolean,
): WalSegmentContents {
  const headerProblem = checkSegmentHeader(bytes);
  if (headerProblem !== undefined) {
    if (isLastSegment && (bytes.length < WAL_SEGMENT_HEADER_BYTES || isAllZero(bytes))) {
      // Even an empty file is torn: a complete segment always has its header.
      return { records: [], validEndOffset: 0, tornTail: true };
    }
    throw corruption(`WAL segment ${path}: ${headerProblem}`, path, 0);
  }

  const records: WalRecord[] = [];
  let offset = WAL_SEGMENT_HEADER_BYTES;
  let lastSequence = 0;
  while (offset < bytes.length) {
    const result = decodeWalRecordAt(bytes, offset);
    if (result.status === "valid") {
      if (result.record.firstSequence <= lastSequence) {
        throw corruption(
          `WAL segment ${path}: record at offset ${offset} repeats sequence ${result.record.firstSequence}`,
          path,
          offset,
        );
      }
      records.push(result.record);
      lastSequence = result.record.firstSequence + result.record.entries.length - 1;
      offset = result.endOffset;
      continue;
    }

    // Zeros to the end are space the writer preallocated and never used: the segment ends here.
    if (isAllZero(bytes.subarray(offset))) {
      return { records, validEndOffset: offset, tornTail: false };
    }
    const reason = result.status === "incomplete" ? "record is incomplete" : result.reason;
    if (!isLastSegment) {
      throw corruption(`WAL segment ${path}: ${reason} at offset ${offset}`, path, offset);
    }
    if (result.status === "invalid" && hasValidRecordAfter(bytes, offset + 1, lastSequence)) {
      throw corruption(
        `WAL segment ${path}: ${reason} at offset ${offset}, followed by valid records`,
        path,
        offset,
      );
    }
    return { records, validEndOffset: offset, tornTail: true };
  }
  return { records, validEndOffset: offset, tornTail: false };
}

/**
 * Searches every byte offset from `start` for a valid record newer than `lastSequence`. Most
 * offsets fail on the length field before any checksum is computed, so this stays cheap.
 */
function hasValidRecordAfter(bytes: Uint8Array, start: number, lastSequence: number): boolean {
  for (let offset = start; offset + WAL_RECORD_HEADER_BYTES <= bytes.length; offset++) {
    const result = decodeWalRecordAt(bytes, offset);
    if (result.status === "valid" && result.record.firstSequence > lastSequence) return true;
  }
  return false;
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== 0) return false;
  }
  return true;
}

function corruption(message: string, file: string, offset: number): StorageError {
  return new StorageError("corruption", message, { file, offset });
}
