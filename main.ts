/**
 * The `strata` command line: `strata serve` runs a node that serves the DynamoDB API.
 *
 * Exit codes: 0 after a clean shutdown, 1 when the server fails, 2 for invalid command-line usage.
 * Logs are JSON lines on stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Http1Server } from "./api/http1_server.ts";
import { createApp } from "./api/server.ts";
import { type Service, startService } from "./api/service.ts";
import type { WalSyncMode } from "./cluster/database.ts";
import { Logger, parseLogLevel } from "./util/logger.ts";

/** Version reported by `--version`. */
export const VERSION = "0.1.0";

const USAGE = `strata ${VERSION}: a DynamoDB-compatible key-value database

Usage:
  strata serve [options]    Serve the DynamoDB API over HTTP
  strata --help             Show this help
  strata --version          Show the version

Options of serve:
  --host ADDRESS            Address to listen on (default 127.0.0.1)
  --port PORT               TCP port of the DynamoDB API; 0 picks a free port (default 8000)
  --data DIRECTORY          Data directory, created if missing (default ./data)
  --log-level LEVEL         debug, info, warn or error (default info)
  --wal-sync MODE           always: fsync the write-ahead log before acknowledging each write
                            (default); batch-ms N (or batch-ms:N): acknowledge at once and fsync
                            every N ms, which can lose the last N ms of writes in a crash
  --memtable-mb N           Size at which the in-memory table is flushed to disk, in MiB
                            (default 64)
  --block-cache-mb N        Size of the cache of SSTable data blocks, in MiB (default 256)
  --http-server KIND        http1: Strata's own HTTP/1.1 server (default, faster); hono: the
                            Hono application on Deno.serve (also speaks HTTP/2 with TLS
                            terminated in front)

Example:
  strata serve --port 8000 --data ./data
  aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000
`;

/** A command-line usage error: printed with a hint, exit code 2. */
class UsageError extends Error {}

interface ServeOptions {
  host: string;
  port: number;
  dataDirectory: string;
  logLevel: ReturnType<typeof parseLogLevel> & string;
  walSync: WalSyncMode;
  memtableSizeBytes: number;
  blockCacheSizeBytes: number;
  httpServer: "http1" | "hono";
}

function parseServeOptions(args: string[]): ServeOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8000" },
        data: { type: "string", default: "./data" },
        "log-level": { type: "string", default: "info" },
        "wal-sync": { type: "string", default: "always" },
        "memtable-mb": { type: "string", default: "64" },
        "block-cache-mb": { type: "string", default: "256" },
        "http-server": { type: "string", default: "http1" },
      },
      // The only positional accepted is N in `--wal-sync batch-ms N`.
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  let walSyncText = values["wal-sync"];
  if (parsed.positionals.length > 0) {
    if (walSyncText !== "batch-ms" || parsed.positionals.length !== 1) {
      throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    }
    walSyncText = `batch-ms:${parsed.positionals[0]}`;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new UsageError(`invalid --port '${values.port}': expected an integer from 0 to 65535`);
  }
  const logLevel = parseLogLevel(values["log-level"]);
  if (logLevel === undefined) {
    throw new UsageError(
      `invalid --log-level '${values["log-level"]}': expected debug, info, warn or error`,
    );
  }
  if (values.data.trim() === "") throw new UsageError("invalid --data: the path is empty");
  const httpServer = values["http-server"];
  if (httpServer !== "http1" && httpServer !== "hono") {
    throw new UsageError(`invalid --http-server '${httpServer}': expected http1 or hono`);
  }
  return {
    host: values.host,
    port,
    dataDirectory: values.data,
    logLevel,
    walSync: parseWalSync(walSyncText),
    memtableSizeBytes: parseMebibytes("--memtable-mb", values["memtable-mb"]),
    blockCacheSizeBytes: parseMebibytes("--block-cache-mb", values["block-cache-mb"]),
    httpServer,
  };
}

/** Parses a size flag given in MiB (fractions allowed, from 1/1024 to 65536) into bytes. */
function parseMebibytes(flag: string, text: string): number {
  const mebibytes = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || mebibytes < 1 / 1024 || mebibytes > 65536) {
    throw new UsageError(`invalid ${flag} '${text}': expected a size in MiB from 0.001 to 65536`);
  }
  return Math.round(mebibytes * 1024 * 1024);
}

function parseWalSync(text: string): WalSyncMode {
  if (text === "always") return { mode: "always" };
  const match = /^batch-ms[:=](\d+)$/.exec(text);
  if (match && Number(match[1]) >= 1 && Number(match[1]) <= 10_000) {
    return { mode: "batch", intervalMs: Number(match[1]) };
  }
  throw new UsageError(
    `invalid --wal-sync '${text}': expected 'always' or 'batch-ms:N' with N from 1 to 10000`,
  );
}

async function serve(options: ServeOptions): Promise<number> {
  const logger = new Logger({ level: options.logLevel });
  const controller = new AbortController();
  let exitCode = 0;
  const service = await startService({
    dataDirectory: options.dataDirectory,
    logger,
    walSync: options.walSync,
    memtableSizeBytes: options.memtableSizeBytes,
    blockCacheSizeBytes: options.blockCacheSizeBytes,
    onAssertionFailure: (error) => {
      logger.error("server.assertion_failed", { error });
      exitCode = 1;
      controller.abort();
    },
  });
  const onListen = (hostname: string, port: number) => {
    logger.info("server.started", {
      host: hostname,
      port,
      dataDirectory: options.dataDirectory,
      httpServer: options.httpServer,
      version: VERSION,
    });
  };
  const server = listen(options, service, controller.signal, onListen, logger);

  const stop = (signal: string) => {
    logger.info("server.stopping", { signal });
    controller.abort();
  };
  const onInterrupt = () => stop("SIGINT");
  const onTerminate = () => stop("SIGTERM");
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onTerminate);

  await server.finished;
  Deno.removeSignalListener("SIGINT", onInterrupt);
  Deno.removeSignalListener("SIGTERM", onTerminate);
  await service.close();
  logger.info("server.stopped", { exitCode });
  return exitCode;
}

/** Starts the chosen HTTP server; it stops once `signal` is aborted. */
function listen(
  options: ServeOptions,
  service: Service,
  signal: AbortSignal,
  onListen: (hostname: string, port: number) => void,
  logger: Logger,
): { finished: Promise<void> } {
  if (options.httpServer === "http1") {
    const server = Http1Server.listen({
      hostname: options.host,
      port: options.port,
      handler: service.handler,
      logger,
    });
    signal.addEventListener("abort", () => server.shutdown(), { once: true });
    onListen(server.hostname, server.port);
    return server;
  }
  return Deno.serve({
    hostname: options.host,
    port: options.port,
    signal,
    onListen: ({ hostname, port }) => onListen(hostname, port),
    onError: (error) => {
      logger.error("server.request_failed", { error });
      return new Response("Internal Server Error", { status: 500 });
    },
  }, createApp(service.handler).fetch);
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    console.log(`strata ${VERSION}`);
    return 0;
  }
  try {
    if (command === "serve") {
      if (rest.includes("--help")) {
        console.log(USAGE);
        return 0;
      }
      return await serve(parseServeOptions(rest));
    }
    throw new UsageError(
      command === undefined ? "missing command" : `unknown command '${command}'`,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`strata: ${error.message}\nRun 'strata --help' for usage.`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    new Logger().error("server.failed", { error });
    Deno.exit(1);
  }
}
