// `npm run bench:planner`: the planner benchmark runs inside workerd (as it will in the Durable
// Object), through the same cloudflareTest() plugin as the unit tests, but only on *.bench.ts.
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  root,
  plugins: [cloudflareTest({ wrangler: { configPath: `${root}/wrangler.toml` } })],
  test: {
    name: "bench-planner",
    include: ["bench/planner/**/*.bench.ts"],
    testTimeout: 600_000,
  },
});
