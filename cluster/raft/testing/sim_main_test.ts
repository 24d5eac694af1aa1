/**
 * Tests of the `deno task sim` command line: the summary line, the exit status, and the replay
 * command printed for a violation. Each test runs the command as a subprocess on two seeds.
 *
 * @module
 */

import assert from "node:assert/strict";

const ENTRY = new URL("./sim_main.ts", import.meta.url).pathname;

async function runSim(args: string[]): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("sim command ends with a summary line and exits 0", async () => {
  const { code, stdout } = await runSim(["--seeds", "2", "--seed", "3"]);
  const lines = stdout.trim().split("\n");
  assert.equal(code, 0, stdout);
  assert.equal(lines[0], "sim: starting 2 seeds at seed 3");
  assert.match(
    lines.at(-1)!,
    /^sim: 2 seeds, 0 violations, \d+ faults injected, \d+ elections, \d+ committed entries, \d+ client operations checked, 0 keys inconclusive$/,
  );
});

Deno.test("sim command prints a replay command and exits 1 on a violation", async () => {
  const { code, stdout } = await runSim(["--seeds", "2", "--seed", "4", "--break-vote-rule"]);
  assert.equal(code, 1, stdout);
  assert.match(stdout, /VIOLATION seed 4: /);
  assert.match(stdout, /replay: deno task sim --seeds 1 --seed 4 --break-vote-rule/);
  assert.match(stdout.trim().split("\n").at(-1)!, /^sim: 2 seeds, [1-9]\d* violations/);
});

Deno.test("sim command rejects an invalid seed count", async () => {
  const { code } = await runSim(["--seeds", "many"]);
  assert.equal(code, 2);
});
