/**
 * Entry point of the storage engine: {@linkcode openEngine} and the types callers need.
 *
 * @example
 * ```ts
 * import { openEngine } from "./mod.ts";
 * const directory = await Deno.makeTempDir();
 * const engine = await openEngine({ directory });
 * await engine.write([{ kind: "put", key: new Uint8Array([1]), value: new Uint8Array([2]) }]);
 * await engine.close();
 * await Deno.remove(directory, { recursive: true });
 * ```
 *
 * @module
 */

import { DenoFileSystem } from "./deno_file_system.ts";
import type { FileSystem } from "./file_system.ts";
import { type Engine, type EngineOptions, LsmEngine } from "./lsm_engine.ts";

export type { CompactionSettings, Engine, EngineOptions, WalSyncMode } from "./lsm_engine.ts";
export * from "./engine.ts";

/** Options of {@linkcode openEngine}: those of the engine, with the file system optional. */
export interface OpenEngineOptions extends Omit<EngineOptions, "fileSystem"> {
  /** File system to use; the local disk when absent. */
  fileSystem?: FileSystem;
}

/** Opens the storage engine in `options.directory`, recovering whatever it holds. */
export function openEngine(options: OpenEngineOptions): Promise<Engine> {
  return LsmEngine.open({ ...options, fileSystem: options.fileSystem ?? new DenoFileSystem() });
}
