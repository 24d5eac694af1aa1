/**
 * Command line entry of the Raft simulator (`deno task sim`): runs `--seeds N` simulations
 * starting at `--seed S` and prints one summary line. Each violation prints its seed and the
 * command that replays it, and makes the command exit with status 1.
 *
 * Without `--seed`, the start seed comes from `STRATA_SEED` or, failing that, is drawn at
 * random and printed, so any run can be replayed.
 *
 * @example
 * ```sh
 * deno task sim --seeds 200 --seed 1
 * STRATA_SEED=42 deno task sim --seeds 1 --verbose
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runSimulation, type SimulationResult } from "./simulation.ts";

interface MainOptions {
  seeds: number;
  seed: number;
  nodeCount: 3 | 5 | undefined;
  verbose: boolean;
  breakVoteRule: boolean;
}

function parseOptions(args: string[]): MainOptions {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: "string", default: "1" },
      seed: { type: "string" },
      nodes: { type: "string" },
      verbose: { type: "boolean", default: false },
      "break-vote-rule": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task sim [--seeds N] [--seed S] [--nodes 3|5] [--verbose] [--break-vote-rule]\n" +
        "  --seeds N          number of simulations to run (default 1)\n" +
        "  --seed S           first seed (default: STRATA_SEED, else random)\n" +
        "  --nodes 3|5        cluster size (default: chosen by each seed)\n" +
        "  --verbose          print one line per seed\n" +
        "  --break-vote-rule  grant votes to candidates with shorter logs (expect violations)",
    );
    Deno.exit(0);
  }
  const seeds = parseInteger(values.seeds, "--seeds");
  const seedText = values.seed ?? Deno.env.get("STRATA_SEED");
  const seed = seedText === undefined
    ? Math.floor(Math.random() * 2 ** 31)
    : parseInteger(seedText, "--seed");
  let nodeCount: 3 | 5 | undefined;
  if (values.nodes !== undefined) {
    if (values.nodes !== "3" && values.nodes !== "5") usageError("--nodes must be 3 or 5");
    nodeCount = Number(values.nodes) as 3 | 5;
  }
  return {
    seeds,
    seed,
    nodeCount,
    verbose: values.verbose,
    breakVoteRule: values["break-vote-rule"],
  };
}

function parseInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    usageError(`${flag} must be a non-negative integer, got "${text}"`);
  }
  return value;
}

function usageError(message: string): never {
  console.error(`sim: ${message}`);
  Deno.exit(2);
}

/** Builds the command that replays one seed with the same options. */
export function replayCommand(
  seed: number,
  options: { nodeCount?: 3 | 5; breakVoteRule?: boolean },
): string {
  const parts = ["deno task sim --seeds 1", `--seed ${seed}`];
  if (options.nodeCount) parts.push(`--nodes ${options.nodeCount}`);
  if (options.breakVoteRule) parts.push("--break-vote-rule");
  return parts.join(" ");
}

/** Formats the summary line of a set of results. */
export function summaryLine(results: readonly SimulationResult[]): string {
  const sum = (pick: (result: SimulationResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const violations = sum((result) => result.violations.length);
  return `sim: ${results.length} seeds, ${violations} violations, ` +
    `${sum((result) => result.faultsInjected)} faults injected, ` +
    `${sum((result) => result.elections)} elections, ` +
    `${sum((result) => result.committedEntries)} committed entries, ` +
    `${sum((result) => result.operationsChecked)} client operations checked, ` +
    `${sum((result) => result.inconclusiveKeys)} keys inconclusive`;
}

function main(): void {
  const options = parseOptions(Deno.args);
  console.log(`sim: starting ${options.seeds} seeds at seed ${options.seed}`);
  const results: SimulationResult[] = [];
  for (let offset = 0; offset < options.seeds; offset++) {
    const seed = options.seed + offset;
    const result = runSimulation({
      seed,
      nodeCount: options.nodeCount,
      testingGrantVotesToShorterLogs: options.breakVoteRule,
    });
    results.push(result);
    if (options.verbose) {
      console.log(
        `seed ${seed}: ${result.nodeCount} nodes, ${result.groupCount} groups, ` +
          `${result.readMode}, ${result.events} events, ${result.elections} elections, ` +
          `${result.committedEntries} entries, ${result.operationsChecked} operations, ` +
          `${result.crashes} crashes, ${result.snapshotsInstalled} snapshots installed, ` +
          `${result.violations.length} violations`,
      );
    }
    for (const violation of result.violations) {
      console.log(`VIOLATION seed ${seed}: ${violation}`);
    }
    if (result.violations.length > 0) {
      console.log(`replay: ${replayCommand(seed, options)}`);
    }
  }
  console.log(summaryLine(results));
  if (results.some((result) => result.violations.length > 0)) Deno.exit(1);
}

if (import.meta.main) main();
