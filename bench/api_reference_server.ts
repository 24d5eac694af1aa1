/**
 * Reference server for the API benchmark: a trivial `Deno.serve` handler that reads the request
 * body and returns `{}`. Its throughput is the ceiling that the load generator and the HTTP stack
 * allow on this machine, so Strata's numbers can be read against it.
 *
 * Prints `{"port":<port>}` on stdout once listening; stops on SIGTERM.
 *
 * @module
 */

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(JSON.stringify({ port })),
}, async (request) => {
  await request.arrayBuffer();
  return new Response("{}", {
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-crc32": "2745614147" },
  });
});

Deno.addSignalListener("SIGTERM", () => server.shutdown());
await server.finished;
