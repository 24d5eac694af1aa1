/**
 * Entry point of the storage engine: {@linkcode openEngine} and the types callers need.
 *
 * @example
 * ```ts
 * import { openEngine } from "./mod.ts";
 * const engine = await openEngine({ directory: "./data/storage" });
 * await engine.write([{ kind: "put", key: new Uint8Array([1]), value: new Uint8Array([2]) }]);
 * await engine.close();
 * ```
 *
 * @module
 */

import type { Logger } from "../util/logger.ts";
import { DenoFileSystem } from "./deno_file_system.ts";
import type { FileSystem } from "./file_system.ts";
import { type Engine, LsmEngine, type WalSyncMode } from "./lsm_engine.ts";

export type { Engine, WalSyncMode } from "./lsm_engine.ts";
export * from "./engine.ts";

/** Options of {@linkcode openEngine}. */
export interface OpenEngineOptions {
  /** Directory holding the engine's files; created if missing. */
  directory: string;
  /** File system to use; the local disk when absent. */
  fileSystem?: FileSystem;
  logger?: Logger;
  /** When writes are acknowledged relative to the WAL fsync; "always" when absent. */
  walSync?: WalSyncMode;
}

/** Opens the storage engine in `options.directory`, recovering whatever it holds. */
export function openEngine(options: OpenEngineOptions): Promise<Engine> {
  return LsmEngine.open({
    directory: options.directory,
    fileSystem: options.fileSystem ?? new DenoFileSystem(),
    logger: options.logger,
    walSync: options.walSync,
  });
}
