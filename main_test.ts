/**
 * Tests for the `strata` command line, run as a real child process: usage errors exit with 2 and
 * a message naming the bad value, `--help` and `--version` print and exit 0, and SIGTERM stops a
 * serving process cleanly with exit code 0.
 */

import assert from "node:assert/strict";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("strata rejects invalid usage with exit code 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["serve", "--port", "eighty"], /invalid --port 'eighty'/],
    [["serve", "--port", "70000"], /invalid --port '70000'/],
    [["serve", "--log-level", "loud"], /invalid --log-level 'loud'/],
    [["serve", "--wal-sync", "sometimes"], /invalid --wal-sync 'sometimes'/],
    [["serve", "--http-server", "nginx"], /invalid --http-server 'nginx'/],
    [["serve", "--unknown"], /Unknown option '--unknown'/],
    [["serve", "--wal-sync", "batch-ms", "0"], /invalid --wal-sync 'batch-ms:0'/],
    [["serve", "extra"], /unexpected argument 'extra'/],
    [["launch"], /unknown command 'launch'/],
    [[], /missing command/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
    assert.match(result.stderr, /strata --help/);
  }
});

Deno.test("strata prints help and version", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /strata serve \[options\]/);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^strata \d+\.\d+\.\d+/);
});

Deno.test("strata serve stops cleanly on SIGTERM", async () => {
  const dataDirectory = await Deno.makeTempDir({ prefix: "strata-main-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve", "--port", "0", "--data", dataDirectory],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    assert.ok(!done, `server exited before starting: ${lines.join("\n")}`);
    buffered += value;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line.includes('"server.started"')) port = JSON.parse(line).port;
    }
  }

  const response = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  child.kill("SIGTERM");
  let rest = buffered;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
  }
  const status = await child.status;
  assert.equal(status.code, 0);
  assert.match(rest, /"event":"server.stopped"/);
  await Deno.remove(dataDirectory, { recursive: true });
});
