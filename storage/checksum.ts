/**
 * Checksums for everything the storage engine writes: 32-bit xxHash (XXH32, seed 0) from the
 * xxhash-wasm package.
 *
 * The WebAssembly module is instantiated once when this module loads (top-level await), so the
 * exported function is synchronous. WAL records use it as described in `FORMAT.md`.
 *
 * @module
 */

import xxhash from "xxhash-wasm";

const hasher = await xxhash();

/** Returns the XXH32 checksum (seed 0) of `bytes` as an unsigned 32-bit integer. */
export function checksum32(bytes: Uint8Array): number {
  return hasher.h32Raw(bytes, 0) >>> 0;
}
