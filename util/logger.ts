/**
 * Structured logger: one JSON object per line on stderr.
 *
 * Every line carries `time`, `level` and a stable `event` name (for example `server.started`),
 * followed by the ids involved. Components receive a {@linkcode Logger} through their options so
 * tests can capture or silence output. Item values and secrets are never logged.
 *
 * @module
 */

/** Log levels, in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields attached to a log line besides time, level and event. */
export type LogFields = Record<string, unknown>;

/** Destination of formatted log lines. */
export type LogSink = (line: string) => void;

/** A leveled JSON-lines logger. */
export class Logger {
  readonly #minimumRank: number;
  readonly #sink: LogSink;
  readonly #baseFields: LogFields;

  constructor(options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {}) {
    this.#minimumRank = LEVEL_RANK[options.level ?? "info"];
    this.#sink = options.sink ?? ((line) => console.error(line));
    this.#baseFields = options.fields ?? {};
  }

  /** Returns a logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new ChildLogger(this.rank(), this.#sink, { ...this.#baseFields, ...fields });
  }

  debug(event: string, fields?: LogFields): void {
    this.log("debug", event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.log("info", event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.log("warn", event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.log("error", event, fields);
  }

  /** Writes one line if `level` is at or above the configured threshold. */
  log(level: LogLevel, event: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.rank()) return;
    const record: LogFields = { time: new Date().toISOString(), level, event, ...this.#baseFields };
    if (fields) {
      for (const [name, value] of Object.entries(fields)) {
        record[name] = value instanceof Error ? describeError(value) : value;
      }
    }
    this.#sink(JSON.stringify(record, jsonReplacer));
  }

  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.rank();
  }

  protected rank(): number {
    return this.#minimumRank;
  }
}

class ChildLogger extends Logger {
  readonly #rank: number;
  constructor(rank: number, sink: LogSink, fields: LogFields) {
    super({ sink, fields });
    this.#rank = rank;
  }
  protected override rank(): number {
    return this.#rank;
  }
}

/** A logger that discards everything, for tests and tools. */
export const silentLogger: Logger = new Logger({ level: "error", sink: () => {} });

function describeError(error: Error): LogFields {
  const fields: LogFields = { name: error.name, message: error.message };
  if (error.stack) fields.stack = error.stack;
  if (error.cause !== undefined) {
    fields.cause = error.cause instanceof Error ? describeError(error.cause) : String(error.cause);
  }
  return fields;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Parses a `--log-level` value, returning undefined for an unknown level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  return text in LEVEL_RANK ? (text as LogLevel) : undefined;
}
