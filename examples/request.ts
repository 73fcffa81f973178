// The first request: sends examples/shop as a short job to a running `npm start`, polls the job
// until it ends, and prints the answer. Run: npx node examples/request.ts [head] [min_total]
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

const BASE = process.env.SQL_RUNNER_URL ?? "http://127.0.0.1:8787";
const TOKEN = process.env.GATEWAY_TOKEN ?? "dev-gateway-token";
const ROOT = join(import.meta.dirname, "shop");

async function tree(
  dir: string,
  out: Record<string, string> = {},
): Promise<Record<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await tree(path, out);
    else out[relative(ROOT, path)] = await readFile(path, "utf8");
  }
  return out;
}

const head = process.argv[2] ?? "test/top_customers.sql";
const body = {
  request_id: `example-${Date.now()}`,
  user_id: "example-user",
  project_tree: await tree(ROOT),
  head_path: head,
  variables: { min_total: process.argv[3] ?? "100" },
};
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const created = await fetch(`${BASE}/v1/jobs`, {
  method: "POST",
  headers,
  body: JSON.stringify(body),
});
const { job_id } = (await created.json()) as { job_id: string };
console.log(`POST /v1/jobs -> ${created.status} job_id=${job_id}`);
for (;;) {
  const res = await fetch(`${BASE}/v1/jobs/${job_id}`, {
    headers: { ...headers, "x-user-id": body.user_id },
  });
  const view = (await res.json()) as { status: string };
  if (["completed", "failed", "canceled"].includes(view.status)) {
    console.log(JSON.stringify(view, null, 2));
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
