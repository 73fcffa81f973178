#!/usr/bin/env node
// Entry point of the `sql-runner` bin (package.json). Needs Node 22.18+ (runs TypeScript as is):
// `npx sql-runner` in this repository finds the Node 22 of node_modules/.bin first.
import { main } from "./main.ts";

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onInterrupt(handler) {
    process.on("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
});
// Exit at once: a closed job socket's TCP teardown through `wrangler dev` can keep the event loop
// alive for tens of seconds after everything is printed (stdout/stderr writes are synchronous
// for files, pipes and TTYs on Linux, so nothing is lost).
process.exit(code);
