// Where the bench's telemetry-on Worker exports, by BENCH_EXPORTER: `platform` (default) the
// reference exporter inside the platform's Node process, as `npm start` and the tests run it (its
// parsing shares one event loop with env-manager's WebSocket proxy); `process` the same exporter in
// a Node process of its own; `discard` a process that answers 200 without reading what it got
// (what the Worker's own telemetry costs, with no exporter work at all).
import { type ChildProcess, spawn } from "node:child_process";

const SERVER = new URL("../../infra/local-dev/telemetry/exporter/server.ts", import.meta.url).href;

const SCRIPTS = {
  process: `import { startExporter } from ${JSON.stringify(SERVER)}; console.log((await startExporter({ port: 0 })).url);`,
  discard: `import { createServer } from "node:http"; const s = createServer((q, r) => { q.resume(); q.on("end", () => r.end("{}")); }); s.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + s.address().port));`,
} as const;

export type ExportTarget = { mode: string; url: string | undefined; close(): void };

export async function exportTarget(
  mode = process.env.BENCH_EXPORTER ?? "platform",
): Promise<ExportTarget> {
  if (mode === "platform") return { mode, url: undefined, close() {} };
  if (mode !== "process" && mode !== "discard") throw new Error(`BENCH_EXPORTER: ${mode}?`);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--input-type=module", "-e", SCRIPTS[mode]],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${mode} exporter exited with ${code}`)));
  });
  return { mode, url, close: () => child.kill() };
}
