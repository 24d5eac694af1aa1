/**
 * The manifest: which SSTables make up the database, which WAL segments still hold unflushed
 * writes, and the counters recovery needs (`FORMAT.md`, "Manifest").
 *
 * The manifest is one small file replaced whole on every change: the new state is written to
 * `MANIFEST.tmp`, synced, renamed over `MANIFEST`, and the directory is synced. A crash at any
 * step leaves either the old or the new manifest in place, so an edit is atomic. Files a crash
 * leaves behind (tables written but never recorded, the temporary manifest) are removed on open.
 *
 * Runs on the engine's flush and compaction paths, one edit at a time.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { StorageError } from "./engine.ts";
import { checksum32 } from "./checksum.ts";
import type { FileSystem } from "./file_system.ts";
import { joinPath, MANIFEST_FILE_NAME, MANIFEST_TEMPORARY_FILE_NAME } from "./file_names.ts";
import { MAX_SEQUENCE } from "./internal_key.ts";

/** First four bytes of the manifest: "SMAN" in ASCII. */
export const MANIFEST_MAGIC = 0x4e414d53;
/** Manifest format version written by this code. Readers reject any other version. */
export const MANIFEST_FORMAT_VERSION = 1;
/** Magic, version, payload length, payload checksum: four u32. */
const HEADER_BYTES = 16;
/** Fixed part of the payload: next file number, log number, last sequence (u64), table count. */
const PAYLOAD_PREFIX_BYTES = 28;
/** One table record: file number u64, file size u64. */
const TABLE_RECORD_BYTES = 16;

/**
 * A manifest edit that failed at or after its rename, so the directory may hold either the old or
 * the new manifest. The caller must delete none of the files either one names, and must stop
 * writing, because a failed directory sync is not retried.
 */
export class ManifestCommitError extends StorageError {
  override name = "ManifestCommitError";
}

/** One live SSTable as the manifest records it. */
export interface ManifestTable {
  fileNumber: number;
  fileSizeBytes: number;
}

/** The durable state of the engine's file set. */
export interface ManifestState {
  /** Smallest file number never handed out. */
  nextFileNumber: number;
  /** WAL segments numbered below this are flushed into tables and may be deleted. */
  logNumber: number;
  /** Largest sequence number held by any table (0 when there is none). */
  lastSequence: number;
  /** Live tables, newest first. */
  tables: ManifestTable[];
}

/** State of a directory that has no manifest yet. */
export function emptyManifest(): ManifestState {
  return { nextFileNumber: 1, logNumber: 0, lastSequence: 0, tables: [] };
}

/** Encodes `state` as manifest file bytes. */
export function encodeManifest(state: ManifestState): Uint8Array {
  const payloadBytes = PAYLOAD_PREFIX_BYTES + TABLE_RECORD_BYTES * state.tables.length;
  const bytes = new Uint8Array(HEADER_BYTES + payloadBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MANIFEST_MAGIC, true);
  view.setUint32(4, MANIFEST_FORMAT_VERSION, true);
  view.setUint32(8, payloadBytes, true);

  let offset = HEADER_BYTES;
  for (const value of [state.nextFileNumber, state.logNumber, state.lastSequence]) {
    assert(Number.isSafeInteger(value), `manifest counter is not a safe integer: ${value}`);
    assert(value >= 0, `manifest counter is negative: ${value}`);
    view.setBigUint64(offset, BigInt(value), true);
    offset += 8;
  }
  view.setUint32(offset, state.tables.length, true);
  offset += 4;
  for (const table of state.tables) {
    view.setBigUint64(offset, BigInt(table.fileNumber), true);
    view.setBigUint64(offset + 8, BigInt(table.fileSizeBytes), true);
    offset += TABLE_RECORD_BYTES;
  }
  assert(offset === bytes.length, "manifest size computed wrongly");

  view.setUint32(12, checksum32(bytes.subarray(HEADER_BYTES)), true);
  return bytes;
}

/** Decodes manifest bytes read from `path`; throws a "corruption" StorageError when invalid. */
export function decodeManifest(bytes: Uint8Array, path: string): ManifestState {
  const fail = (message: string, offset: number): never => {
    throw new StorageError("corruption", `manifest ${path}: ${message}`, { file: path, offset });
  };
  if (bytes.length < HEADER_BYTES + PAYLOAD_PREFIX_BYTES) fail("file is truncated", 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MANIFEST_MAGIC) fail("bad magic", 0);
  const version = view.getUint32(4, true);
  if (version !== MANIFEST_FORMAT_VERSION) fail(`unsupported format version ${version}`, 4);
  const payloadBytes = view.getUint32(8, true);
  if (HEADER_BYTES + payloadBytes !== bytes.length) fail("payload length mismatch", 8);
  if (checksum32(bytes.subarray(HEADER_BYTES)) !== view.getUint32(12, true)) {
    fail("checksum mismatch", HEADER_BYTES);
  }

  const readNumber = (offset: number) => {
    const value = view.getBigUint64(offset, true);
    if (value > BigInt(MAX_SEQUENCE)) fail(`number ${value} out of range`, offset);
    return Number(value);
  };
  const state: ManifestState = {
    nextFileNumber: readNumber(HEADER_BYTES),
    logNumber: readNumber(HEADER_BYTES + 8),
    lastSequence: readNumber(HEADER_BYTES + 16),
    tables: [],
  };
  const tableCount = view.getUint32(HEADER_BYTES + 24, true);
  let offset = HEADER_BYTES + PAYLOAD_PREFIX_BYTES;
  if (offset + tableCount * TABLE_RECORD_BYTES !== bytes.length) {
    fail("table count mismatch", offset);
  }
  for (let index = 0; index < tableCount; index++) {
    state.tables.push({ fileNumber: readNumber(offset), fileSizeBytes: readNumber(offset + 8) });
    offset += TABLE_RECORD_BYTES;
  }
  return state;
}

/** Reads the manifest of `directory`, or returns undefined when there is none. */
export async function readManifest(
  fileSystem: FileSystem,
  directory: string,
): Promise<ManifestState | undefined> {
  const path = joinPath(directory, MANIFEST_FILE_NAME);
  if (!(await fileSystem.exists(path))) return undefined;
  return decodeManifest(await fileSystem.readFile(path), path);
}

/**
 * Replaces the manifest of `directory` with `state` atomically and durably. A failure before the
 * rename leaves the old manifest in place and rethrows the error as is (a "no-space" StorageError
 * on a full disk); a failure from the rename on throws {@linkcode ManifestCommitError}.
 */
export async function writeManifest(
  fileSystem: FileSystem,
  directory: string,
  state: ManifestState,
): Promise<void> {
  const temporaryPath = joinPath(directory, MANIFEST_TEMPORARY_FILE_NAME);
  const file = await fileSystem.openWritable(temporaryPath, { truncate: true });
  try {
    await file.append(encodeManifest(state));
    await file.sync();
  } finally {
    await file.close();
  }
  const path = joinPath(directory, MANIFEST_FILE_NAME);
  try {
    await fileSystem.rename(temporaryPath, path);
    await fileSystem.syncDirectory(directory);
  } catch (error) {
    throw new ManifestCommitError("io", `manifest edit of ${path} may or may not have landed`, {
      file: path,
      cause: error,
    });
  }
}
