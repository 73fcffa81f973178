// `npm start`: the platform services (ports 8788 / 8789) and `wrangler dev` on
// http://127.0.0.1:8787, wired together. Ctrl-C stops everything.
import { cronSchedules, startLocalCron } from "./local-cron.ts";
import { ROOT, startStack } from "./stack.ts";

const stack = await startStack({
  port: Number(process.env.PORT ?? 8787),
  platform: {
    envManagerPort: Number(process.env.ENV_MANAGER_PORT ?? 8788),
    snapshotCachePort: Number(process.env.SNAPSHOT_CACHE_PORT ?? 8789),
    telemetryPort: Number(process.env.TELEMETRY_PORT ?? 8790),
    auditLogPort: Number(process.env.AUDIT_LOG_PORT ?? 8791),
    log: (line) => console.log(line),
  },
  // Development mode: the playground's page-session API stands in for a gateway (/play/api).
  vars: { PLAYGROUND_SESSIONS: "dev" },
  log: (line) => console.log(line),
});
console.log(`env-manager    ${stack.platform.envManager.url}`);
console.log(`snapshot-cache ${stack.platform.snapshotCache.url}`);
console.log(
  `telemetry      ${stack.platform.operators.exporter.url}/metrics  (traces: /v1/traces?trace_id=)`,
);
console.log(`audit-log      ${stack.platform.operators.auditLog.url}/v1/audit?job_id=`);
console.log(`sql-runner     ${stack.url}   (gateway token: dev-gateway-token; Ctrl-C stops)`);
console.log(
  `playground     ${stack.url}/play   (CLI: npx sql-runner run examples/shop --head test/top_customers.sql --var min_total=100)`,
);

// wrangler dev fires no Cron Triggers: run the scheduled sweep on wrangler.toml's schedules here.
const schedules = cronSchedules(ROOT);
const stopCron = startLocalCron(stack.url, schedules, (line) => console.log(line));
console.log(
  `local cron     ${schedules.join(", ")} (the scheduled sweep; \`npm run gc\` runs it now)`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping...");
  stopCron();
  await stack.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
