/**
 * Closed-loop load generator for the API benchmark: N keep-alive connections, each sending its
 * next request as soon as the previous response is read, for a fixed duration.
 *
 * Latency is measured per request from just before the write to the end of the response body,
 * with `performance.now()`. A warm-up period runs first and is not counted. Responses with a
 * status other than 200 count as errors and not as operations.
 *
 * @module
 */

import process from "node:process";
import { KeepAliveConnection } from "./api_http_client.ts";

/** Builds the request bytes for the `sequence`-th request of connection `connectionIndex`. */
export type RequestFactory = (connectionIndex: number, sequence: number) => Uint8Array;

/** Options for {@linkcode runLoad}. */
export interface LoadOptions {
  hostname: string;
  port: number;
  connectionCount: number;
  warmupMs: number;
  durationMs: number;
  makeRequest: RequestFactory;
}

/** Throughput and latency of one measured case. */
export interface LoadResult {
  operationCount: number;
  errorCount: number;
  /** First non-200 response body, for diagnosis. */
  firstError: string | undefined;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * CPU time the load generator used during the run, as a percentage of one core; near 100 means
   * the client, not the server, limits throughput.
   */
  clientCpuPercent: number;
}

/** Most latency samples kept per connection; a bound on memory for long runs. */
const SAMPLES_PER_CONNECTION_MAX = 2_000_000;

/** Runs the closed loop and returns throughput and latency percentiles. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const connections = await Promise.all(
    Array.from(
      { length: options.connectionCount },
      () => KeepAliveConnection.open(options.hostname, options.port),
    ),
  );
  const cpuBefore = process.cpuUsage();
  const startMs = performance.now();
  const measureFromMs = startMs + options.warmupMs;
  const stopAtMs = measureFromMs + options.durationMs;
  const samples: number[][] = connections.map(() => []);
  let errorCount = 0;
  let firstError: string | undefined;

  try {
    await Promise.all(connections.map(async (connection, connectionIndex) => {
      const latencies = samples[connectionIndex]!;
      for (let sequence = 0;; sequence += 1) {
        const request = options.makeRequest(connectionIndex, sequence);
        const sentMs = performance.now();
        if (sentMs >= stopAtMs) return;
        const response = await connection.send(request);
        const receivedMs = performance.now();
        if (sentMs < measureFromMs || receivedMs > stopAtMs) continue;
        if (response.status !== 200) {
          errorCount += 1;
          firstError ??= `${response.status} ${new TextDecoder().decode(response.body)}`;
          continue;
        }
        if (latencies.length < SAMPLES_PER_CONNECTION_MAX) latencies.push(receivedMs - sentMs);
      }
    }));
  } finally {
    for (const connection of connections) connection.close();
  }

  const elapsedMs = performance.now() - startMs;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const all = Float64Array.from(samples.flat()).sort();
  return {
    operationCount: all.length,
    errorCount,
    firstError,
    opsPerSecond: all.length / (options.durationMs / 1000),
    p50Ms: percentile(all, 0.5),
    p99Ms: percentile(all, 0.99),
    clientCpuPercent: (cpuUsed.user + cpuUsed.system) / 1000 / elapsedMs * 100,
  };
}

/** Returns the nearest-rank percentile of sorted samples, or NaN when there are none. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
