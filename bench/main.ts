/**
 * Entry point of `deno task bench`.
 *
 * - `deno task bench` or `deno task bench api [options]`: the API benchmark (`api_bench.ts`).
 * - `deno task bench storage [options]`: the storage engine benchmark, `runStorageBench(args)`
 *   from `storage_bench.ts`, loaded only when asked for so the API benchmark runs without it.
 *
 * @module
 */

import { runApiBench } from "./api_bench.ts";

/** Exit code for a usage error, as the server's CLI uses. */
const USAGE_EXIT_CODE = 2;

async function runStorage(args: string[]): Promise<void> {
  const moduleUrl = new URL("./storage_bench.ts", import.meta.url);
  try {
    await Deno.stat(moduleUrl);
  } catch {
    console.error(`storage benchmark is not available: ${moduleUrl.pathname} does not exist`);
    Deno.exit(1);
  }
  // A computed specifier keeps the module out of the static graph until it is asked for.
  const storageBench = await import(moduleUrl.href) as {
    runStorageBench?: (args: string[]) => Promise<void>;
  };
  if (typeof storageBench.runStorageBench !== "function") {
    console.error(`${moduleUrl.pathname} does not export runStorageBench(args)`);
    Deno.exit(1);
  }
  await storageBench.runStorageBench(args);
}

async function main(args: string[]): Promise<void> {
  const [first, ...rest] = args;
  if (first === undefined || first.startsWith("--")) return await runApiBench(args);
  if (first === "api") return await runApiBench(rest);
  if (first === "storage") return await runStorage(rest);
  console.error(`unknown benchmark "${first}"; usage: deno task bench [api|storage] [options]`);
  Deno.exit(USAGE_EXIT_CODE);
}

if (import.meta.main) await main(Deno.args);
