/**
 * Runs the Raft simulator as part of the test suite. A fixed set of seeds covers 3 and 5 nodes,
 * both read modes and every fault type, and a few fresh seeds run each time. Each seed is
 * bounded in simulated time, and the fresh seeds also in wall time. The file also proves that
 * the simulator catches a broken vote rule and that a seed replays exactly.
 *
 * Fresh seeds come from `STRATA_SEED` when set (to replay a failure), else from the wall clock.
 * A failure prints the seed and the commands that replay it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { replayCommand } from "./sim_main.ts";
import { runSimulation, type SimulationResult } from "./simulation.ts";

const FIXED_SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
const FRESH_SEED_COUNT = 5;
/** Wall-clock budget for the fresh seeds; the fixed seeds take a few seconds on one core. */
const FRESH_SEEDS_BUDGET_MS = 15_000;

function describeFailure(result: SimulationResult): string {
  return [
    `seed ${result.seed} found ${result.violations.length} violations:`,
    ...result.violations.map((violation) => `  ${violation}`),
    `replay: ${replayCommand(result.seed, {})}`,
    `    or: STRATA_SEED=${result.seed} deno test -A cluster/raft/testing/simulation_test.ts`,
  ].join("\n");
}

function assertClean(result: SimulationResult): void {
  if (result.violations.length > 0) console.error(describeFailure(result));
  assert.deepEqual(result.violations, [], describeFailure(result));
}

Deno.test("simulation: fixed seeds finish without violations", () => {
  const results = FIXED_SEEDS.map((seed) => runSimulation({ seed }));
  for (const result of results) assertClean(result);
  // The fixed seeds must keep covering both cluster sizes, both read modes, two groups,
  // crashes and snapshot installs. A change to seed derivation that loses one fails here.
  assert.ok(results.some((result) => result.nodeCount === 3));
  assert.ok(results.some((result) => result.nodeCount === 5));
  assert.ok(results.some((result) => result.readMode === "lease"));
  assert.ok(results.some((result) => result.groupCount === 2));
  assert.ok(results.every((result) => result.crashes > 0));
  assert.ok(results.some((result) => result.snapshotsInstalled > 0));
  assert.ok(results.every((result) => result.operationsChecked > 100));
  assert.ok(results.every((result) => result.elections > 0));
});

Deno.test("simulation: fresh seeds finish without violations", () => {
  const fromEnvironment = Deno.env.get("STRATA_SEED");
  const firstSeed = fromEnvironment === undefined
    ? Date.now() % 2_000_000_000
    : Number(fromEnvironment);
  assert.ok(Number.isSafeInteger(firstSeed), `STRATA_SEED must be an integer: ${fromEnvironment}`);
  console.log(`simulation: fresh seeds start at ${firstSeed} (set STRATA_SEED to replay)`);
  const startedMs = performance.now();
  for (let offset = 0; offset < FRESH_SEED_COUNT; offset++) {
    if (performance.now() - startedMs > FRESH_SEEDS_BUDGET_MS) break;
    assertClean(runSimulation({ seed: firstSeed + offset }));
  }
});

Deno.test("simulation: a seed replays exactly", () => {
  const first = runSimulation({ seed: 4242 });
  const second = runSimulation({ seed: 4242 });
  assert.deepEqual(second, first);
});

Deno.test("simulation: granting votes to shorter logs is caught within 20 seeds", () => {
  let caught: SimulationResult | undefined;
  for (let seed = 1; seed <= 20 && !caught; seed++) {
    const result = runSimulation({ seed, testingGrantVotesToShorterLogs: true });
    if (result.violations.length > 0) caught = result;
  }
  assert.ok(caught, "no violation in seeds 1 to 20 with the vote rule broken");
  assert.match(caught.violations[0]!, /leader completeness|state machine safety|lost|linearizab/);
});

Deno.test("simulation: shorter runs still check liveness after the heal", () => {
  const result = runSimulation({ seed: 77, nodeCount: 5, faultPhaseMs: 3_000 });
  assertClean(result);
  assert.equal(result.nodeCount, 5);
});
