// Test projects: `unit` (pure code inside workerd), `integration` (workerd against the real local
// platform started by test/global-setup.ts), and `node` (the local platform services themselves).
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_PLANS_VAR } from "./test/support/plans.ts";
import { TEST_WEBHOOK_SECRET } from "./test/support/webhook-receiver.ts";

// Unit tests have no platform: its URLs point at a port nothing listens on (TCP 9, "discard"),
// so a job a unit test creates fails fast as `env_unavailable` instead of reaching whatever local
// stack `npm start` may be running on the default ports.
const NO_PLATFORM = "http://127.0.0.1:9";
const workers = (extra: Record<string, string> = {}) =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        ...extra,
        ENV_MANAGER_URL: NO_PLATFORM,
        SNAPSHOT_CACHE_URL: NO_PLATFORM,
        // No env-manager will ever come back: a job fails at once instead of waiting 60 s for it.
        ENV_RECOVERY_MAX_WAIT_MS: "0",
        // Metrics and traces off: nothing to export to (the integration project checks them).
        TELEMETRY_URL: "",
        AUDIT_LOG_URL: NO_PLATFORM,
      },
    },
  });

// The integration Worker talks to the platform test/global-setup.ts started on free ports.
const workersWithPlatform = () =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        ENV_MANAGER_URL: inject("envManagerUrl"),
        SNAPSHOT_CACHE_URL: inject("snapshotCacheUrl"),
        PLATFORM_TOKEN: inject("platformToken"),
        // Lifecycle tests: a local webhook receiver, short back-offs, content collected at expiry.
        WEBHOOK_ALLOW_LOCAL: "true",
        WEBHOOK_RETRY_BASE_MS: "300",
        WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
        FILES_GRACE_SECONDS: "0",
        // Plans with small limits for the tests that cross them (test/support/plans.ts).
        PLANS: TEST_PLANS_VAR,
        TELEMETRY_URL: inject("telemetryUrl"),
        AUDIT_LOG_URL: inject("auditLogUrl"),
      },
    },
  }));

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [workers()],
        test: {
          name: "unit",
          include: ["test/**/*.unit.test.ts"],
          setupFiles: ["test/support/settle-jobs.ts"],
          // Generous: the first request of a file starts workerd, which takes seconds on a
          // loaded machine (vitest's 5 s default failed seven files with other suites running).
          testTimeout: 30_000,
        },
      },
      {
        plugins: [workersWithPlatform()],
        test: {
          name: "integration",
          include: ["test/**/*.integration.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          setupFiles: ["test/support/settle-platform-jobs.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      // Real SQL corpora from ../shared/corpora: `npm run test:acceptance` (CI), not `npm test`.
      ...(process.env.SQL_RUNNER_ACCEPTANCE
        ? [
            {
              plugins: [workersWithPlatform()],
              test: {
                name: "acceptance",
                include: ["test/acceptance/**/*.acceptance.test.ts"],
                globalSetup: ["test/global-setup.ts", "test/node/corpora-setup.ts"],
                testTimeout: 300_000,
                hookTimeout: 120_000,
              },
            },
          ]
        : []),
      // Bounds under load and faults: `npm run test:reliability` (docs/benchmarks.md), not `npm test`.
      ...(process.env.SQL_RUNNER_RELIABILITY
        ? [
            {
              plugins: [workersWithPlatform()],
              test: {
                name: "reliability",
                include: ["test/reliability/**/*.reliability.test.ts"],
                globalSetup: ["test/global-setup.ts"],
                testTimeout: 600_000,
                hookTimeout: 120_000,
              },
            },
            // The fuzz needs no platform: the few valid creates fail fast as `env_unavailable`.
            {
              // The fuzz's size and seed reach the test as bindings (workerd has no process.env).
              plugins: [
                workers({
                  FUZZ_TOTAL: process.env.SQL_RUNNER_FUZZ_TOTAL ?? "100000",
                  FUZZ_SEED: process.env.SQL_RUNNER_FUZZ_SEED ?? "20261202",
                }),
              ],
              test: {
                name: "reliability-fuzz",
                include: ["test/reliability/**/*.fuzz.test.ts"],
                testTimeout: 3_600_000,
              },
            },
            {
              test: {
                name: "reliability-node",
                // One file at a time: each starts its own stack (platform + wrangler dev).
                fileParallelism: false,
                include: ["test/reliability/**/*.reliability.node.test.ts"],
                environment: "node",
                testTimeout: 900_000,
                hookTimeout: 300_000,
              },
            },
          ]
        : []),
      {
        test: {
          name: "node",
          include: ["test/**/*.node.test.ts"],
          // The reliability suite's node files run only in `npm run test:reliability`.
          exclude: ["test/reliability/**", "**/node_modules/**"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
