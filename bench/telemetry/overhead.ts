// `npm run bench:telemetry:overhead`: what the operators' telemetry costs one job in the isolate,
// measured on the telemetry code itself instead of end to end (where a warm hit's own noise,
// about +-28 ms at p50 with 100 jobs a side, hides anything near the 2 ms target). Each simulated
// warm hit makes the calls a real one makes (src/telemetry): two HTTP requests' spans, metrics
// and audit records, four stage spans, the boot and active-run metrics, and the outcome (counters,
// root span, audit record), then asks for a flush as the Worker does; the coalesced flushes encode
// OTLP JSON and post it to a local sink. Telemetry "off" is TELEMETRY_URL "" (audit stays on in
// both, as in the Worker). Prints the CPU time per job of each mode and their difference.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  instanceBooted,
  jobFinished,
  runEnded,
  runStarted,
  stageSpan,
} from "../../src/telemetry/job-telemetry.ts";
import {
  audit,
  configureTelemetry,
  FLUSH_EVERY_MS,
  flushTelemetry,
  recordMetric,
  withSpan,
} from "../../src/telemetry/telemetry.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200).end());
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
let enqueued = 0;
const queue = {
  async sendBatch(messages: Iterable<unknown>) {
    for (const _ of messages) enqueued++;
  },
};

// The job-finished log line is printed with telemetry on or off alike: kept out of both.
console.log = () => {};
const print = (line: string) => process.stdout.write(`${line}\n`);

async function request(method: string, route: string, jobId: string, action: string) {
  await withSpan(`HTTP ${method}`, null, { "http.method": method }, async () => {});
  recordMetric("sql_runner_http_requests_total", { route, status: "200" });
  audit({
    action: action as never,
    result: "ok",
    request_id: `req_${jobId}`,
    job_id: jobId,
    user_id: "bench-user",
    route,
    method,
    status: 200,
    code: null,
    trace_id: null,
  });
  void flushTelemetry();
}

async function warmHit(i: number): Promise<void> {
  const jobId = i.toString(16).padStart(32, "0");
  const job = {
    job_id: jobId,
    telemetry: {},
    user_id: "bench-user",
    request_id: `req_${jobId}`,
    mode: "short",
    created_at: Date.now(),
    cache_hit: true,
    retries: 0,
    snapshot: {
      tail_hash: "ab".repeat(32),
      hit: true,
      reused_steps: 3,
      replayed_steps: 0,
      tail_steps: 3,
      cache_available: true,
    },
  };
  await request("POST", "/v1/jobs", jobId, "job.create");
  runStarted();
  for (const stage of ["snapshot_lookup", "instance_boot", "head_execution", "publishing"]) {
    await stageSpan(job, stage, async () => {});
  }
  instanceBooted("pool", 0.004);
  runEnded();
  jobFinished(job, "completed", null);
  void flushTelemetry();
  await request("GET", "/v1/jobs/:job_id", jobId, "job.view");
}

/** CPU microseconds per job for `JOBS` jobs, the flushes they caused included. */
async function measure(on: boolean): Promise<number> {
  configureTelemetry({ TELEMETRY_URL: on ? sinkUrl : "", AUDIT: queue });
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < JOBS; i++) await warmHit(i);
  // The last coalesced flush, and the one it may defer, belong to these jobs.
  await new Promise((resolve) => setTimeout(resolve, FLUSH_EVERY_MS + 50));
  await flushTelemetry();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / JOBS;
}

await measure(true); // warm-up: JIT, sockets
const results = { on: [] as number[], off: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
    results[mode].push(await measure(mode === "on"));
  }
}
sink.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const load = (await import("node:os"))
  .loadavg()
  .map((n) => n.toFixed(1))
  .join(" ");
print(`${ROUNDS} rounds of ${JOBS} simulated warm hits per mode; load average ${load}\n`);
print("| telemetry | CPU us per job, median of rounds | rounds |");
print("|---|---:|---|");
for (const mode of ["on", "off"] as const) {
  print(
    `| ${mode} | ${median(results[mode]).toFixed(1)} | ${results[mode].map((x) => x.toFixed(1)).join(", ")} |`,
  );
}
print(
  `\ntelemetry's cost per job: ${(median(results.on) - median(results.off)).toFixed(1)} us of CPU (the 2 ms target is 2000 us); audit records enqueued: ${enqueued}`,
);
