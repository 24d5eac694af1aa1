/**
 * Test harness that runs the real Strata server as a child process, for the compatibility suite
 * and the crash test.
 *
 * {@linkcode ServerProcess.start} spawns `deno run -A main.ts serve --port 0 --data <dir>` from the
 * repository root, reads the server's JSON log lines on stderr until one has
 * `"event":"server.started"`, and takes the listening port from it. The harness keeps draining
 * stderr and stdout for the whole life of the child, so the server never blocks on a full pipe, and
 * keeps the last lines for error messages.
 *
 * Ownership: the harness creates the temporary data directory unless the caller passes one, and
 * {@linkcode ServerProcess.close} removes a directory it created. Every method awaits the child's
 * exit and the end of both pipe readers, so tests pass Deno's resource and op sanitizers.
 *
 * @example
 * ```ts
 * await using server = await ServerProcess.start();
 * const response = await fetch(server.endpoint);
 * await response.body?.cancel();
 * ```
 *
 * @module
 */

/** Repository root, the directory that contains `main.ts` and `deno.json`. */
export const REPOSITORY_ROOT: string = new URL("..", import.meta.url).pathname;

/** Time allowed from spawn to the `server.started` log line. */
export const STARTUP_TIMEOUT_MS = 20_000;
/** Time allowed from SIGTERM to exit before the harness escalates to SIGKILL. */
export const SHUTDOWN_TIMEOUT_MS = 15_000;
/** Number of recent output lines kept for error messages. */
const RETAINED_LINE_COUNT_MAX = 200;

/** Options for {@linkcode ServerProcess.start}. */
export interface ServerStartOptions {
  /** Existing data directory to use; the harness then never deletes it. */
  dataDir?: string;
  /** Value of `--log-level`; `info` by default. */
  logLevel?: string;
  /** Extra command-line arguments appended after `serve`'s own flags. */
  extraArgs?: string[];
  /** Extra `deno run` flags placed before `main.ts`, such as `--v8-flags=--prof`. */
  denoFlags?: string[];
}

/** A running (or stopped) Strata server process with its data directory. */
export class ServerProcess {
  /** Data directory passed as `--data`; it outlives restarts. */
  readonly dataDir: string;
  readonly #ownsDataDir: boolean;
  readonly #logLevel: string;
  readonly #extraArgs: string[];
  readonly #denoFlags: string[];
  #child: Deno.ChildProcess | undefined;
  #readers: Promise<void>[] = [];
  #port = 0;
  #recentLines: string[] = [];
  #exitStatus: Deno.CommandStatus | undefined;

  private constructor(dataDir: string, ownsDataDir: boolean, options: ServerStartOptions) {
    this.dataDir = dataDir;
    this.#ownsDataDir = ownsDataDir;
    this.#logLevel = options.logLevel ?? "info";
    this.#extraArgs = options.extraArgs ?? [];
    this.#denoFlags = options.denoFlags ?? [];
  }

  /** Spawns a server on a free port and waits until it listens. */
  static async start(options: ServerStartOptions = {}): Promise<ServerProcess> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "strata-compat-" });
    const server = new ServerProcess(dataDir, ownsDataDir, options);
    try {
      await server.#spawn();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** Port the server listens on; it changes on each restart. */
  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>`, for SDK clients, the CLI and fetch. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Whether the child process is still running. */
  get running(): boolean {
    return this.#child !== undefined && this.#exitStatus === undefined;
  }

  /** Process id of the running child. */
  get pid(): number {
    if (this.#child === undefined) throw new Error("Strata server is not running");
    return this.#child.pid;
  }

  /** Returns the last output lines (stderr and stdout), for diagnostics. */
  recentOutput(): string {
    return this.#recentLines.join("\n");
  }

  /**
   * Sends SIGTERM and waits for a clean exit. Throws when the server exits with a non-zero
   * code or needs SIGKILL after {@linkcode SHUTDOWN_TIMEOUT_MS}.
   */
  async stop(): Promise<Deno.CommandStatus> {
    const child = this.#requireChild();
    child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), SHUTDOWN_TIMEOUT_MS);
    });
    const outcome = await Promise.race([child.status, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      child.kill("SIGKILL");
      await this.#reap();
      throw new Error(
        `Strata server did not exit within ${SHUTDOWN_TIMEOUT_MS} ms of SIGTERM; ` +
          `killed it. Output:\n${this.recentOutput()}`,
      );
    }
    const status = await this.#reap();
    if (!status.success) {
      throw new Error(
        `Strata server exited with code ${status.code} after SIGTERM. Output:\n${this.recentOutput()}`,
      );
    }
    return status;
  }

  /** Sends SIGKILL (a crash) and waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.#requireChild();
    child.kill("SIGKILL");
    await this.#reap();
  }

  /**
   * Starts the server again on the same data directory. A running server is stopped cleanly
   * first; after {@linkcode kill} it starts straight away. The port usually changes.
   */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.#spawn();
  }

  /** Kills a running server and removes the data directory if the harness created it. */
  async close(): Promise<void> {
    if (this.running) await this.kill();
    if (this.#ownsDataDir) {
      await Deno.remove(this.dataDir, { recursive: true }).catch(() => {});
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #requireChild(): Deno.ChildProcess {
    if (this.#child === undefined || this.#exitStatus !== undefined) {
      throw new Error("Strata server is not running");
    }
    return this.#child;
  }

  async #reap(): Promise<Deno.CommandStatus> {
    const status = await this.#requireChildOrLast().status;
    await Promise.all(this.#readers);
    this.#readers = [];
    this.#exitStatus = status;
    return status;
  }

  #requireChildOrLast(): Deno.ChildProcess {
    if (this.#child === undefined) throw new Error("Strata server was never started");
    return this.#child;
  }

  /**
   * Starts the server on the same data directory and sends SIGKILL `delayMs` after the spawn, or
   * as soon as the process exits, whichever comes first, to crash it during startup and
   * recovery. Returns whether it had logged `server.started` by then. The server is not running
   * afterwards; call {@linkcode restart} to start it normally.
   */
  async crashDuringStartup(delayMs: number): Promise<boolean> {
    if (this.running) throw new Error("Strata server is already running");
    this.#launch();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const delay = new Promise<"delay">((resolve) => {
      timer = setTimeout(() => resolve("delay"), delayMs);
    });
    const child = this.#child!;
    const outcome = await Promise.race([delay, child.status.then(() => "exited" as const)]);
    clearTimeout(timer);
    const hadStarted = this.#port !== 0;
    if (outcome === "delay") child.kill("SIGKILL");
    const status = await this.#reap();
    this.#port = 0;
    if (outcome === "exited") {
      throw new Error(
        `Strata server exited by itself with code ${status.code} during startup. Output:\n` +
          this.recentOutput(),
      );
    }
    return hadStarted;
  }

  async #spawn(): Promise<void> {
    const started = this.#launch();
    this.#port = await this.#awaitStarted(this.#child!, started);
  }

  /** Spawns the child and its pipe readers; returns a promise of the logged port. */
  #launch(): Promise<number> {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...this.#denoFlags,
        "main.ts",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data",
        this.dataDir,
        "--log-level",
        this.#logLevel,
        ...this.#extraArgs,
      ],
      cwd: REPOSITORY_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    const child = command.spawn();
    this.#child = child;
    this.#exitStatus = undefined;
    this.#port = 0;

    let resolveStarted: (port: number) => void = () => {};
    const started = new Promise<number>((resolve) => resolveStarted = resolve);
    this.#readers = [
      this.#drain(child.stderr, (line) => {
        const port = startedPort(line);
        if (port !== undefined) {
          this.#port = port;
          resolveStarted(port);
        }
      }),
      this.#drain(child.stdout, () => {}),
    ];
    return started;
  }

  async #awaitStarted(child: Deno.ChildProcess, started: Promise<number>): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([started, child.status, timeout]);
    clearTimeout(timer);
    if (typeof outcome === "number") return outcome;

    if (outcome === "timeout") child.kill("SIGKILL");
    const status = await this.#reap();
    const reason = outcome === "timeout"
      ? `did not log server.started within ${STARTUP_TIMEOUT_MS} ms`
      : `exited with code ${status.code} before logging server.started`;
    throw new Error(`Strata server ${reason}. Output:\n${this.recentOutput()}`);
  }

  async #drain(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitStream());
    for await (const line of lines) {
      this.#recentLines.push(line);
      if (this.#recentLines.length > RETAINED_LINE_COUNT_MAX) this.#recentLines.shift();
      onLine(line);
    }
  }
}

/** Returns the port from a `server.started` JSON log line, or undefined for any other line. */
export function startedPort(line: string): number | undefined {
  if (!line.includes("server.started")) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null) return undefined;
  const fields = record as Record<string, unknown>;
  if (fields.event !== "server.started" || typeof fields.port !== "number") return undefined;
  return fields.port;
}

/** Splits decoded text into lines without their terminators. */
export class LineSplitStream extends TransformStream<string, string> {
  constructor() {
    let pending = "";
    super({
      transform(chunk, controller) {
        pending += chunk;
        let newlineIndex = pending.indexOf("\n");
        while (newlineIndex >= 0) {
          controller.enqueue(pending.slice(0, newlineIndex).replace(/\r$/, ""));
          pending = pending.slice(newlineIndex + 1);
          newlineIndex = pending.indexOf("\n");
        }
      },
      flush(controller) {
        if (pending.length > 0) controller.enqueue(pending);
      },
    });
  }
}
