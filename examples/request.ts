// The first request, without the CLI: sends examples/shop as a short job to a running `npm start`,
// waits for the job to end (long poll) and prints the answer. A refused request (a bad head, a bad
// tree) prints the service's error and exits 2; a failed or canceled job exits 1.
// Files go the way a gateway should send them (docs/api.md, "Blobs"): ask which digests the
// service lacks for this user, upload those, then name every file by etag. A second run uploads
// nothing.
// Run: npx node examples/request.ts [head] [min_total]
import { createHash } from "node:crypto";
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

function fail(what: string, status: number, error?: { code: string; message: string }): never {
  console.error(`${what} -> ${status} ${error?.code}: ${error?.message}`);
  process.exit(2);
}

const USER = "example-user";
const headers = {
  authorization: `Bearer ${TOKEN}`,
  "content-type": "application/json",
  "x-user-id": USER,
};
const files = await tree(ROOT);
const etagOf = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const etags = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, etagOf(text)]));
const asked = await fetch(`${BASE}/v1/blobs/missing`, {
  method: "POST",
  headers,
  body: JSON.stringify({ digests: Object.values(etags) }),
}).catch((err: Error) => {
  console.error(`cannot reach ${BASE}: ${err.message} (is \`npm start\` running?)`);
  process.exit(4);
});
const { missing = [], error } = (await asked.json()) as {
  missing?: string[];
  error?: { code: string; message: string };
};
if (!asked.ok) fail("POST /v1/blobs/missing", asked.status, error);
for (const [path, text] of Object.entries(files)) {
  if (!missing.includes(etags[path] as string)) continue;
  const put = await fetch(`${BASE}/v1/blobs/${etags[path]}`, {
    method: "PUT",
    headers,
    body: text,
  });
  if (!put.ok) fail(`PUT ${path}`, put.status, ((await put.json()) as { error?: never }).error);
}
console.log(`POST /v1/blobs/missing -> ${missing.length} of ${Object.keys(files).length} uploaded`);

const head = process.argv[2] ?? "test/top_customers.sql";
const body = {
  request_id: `example-${Date.now()}`,
  user_id: USER,
  project_tree: Object.fromEntries(Object.entries(etags).map(([path, etag]) => [path, { etag }])),
  head_path: head,
  variables: { min_total: process.argv[3] ?? "100" },
};
const created = await fetch(`${BASE}/v1/jobs`, {
  method: "POST",
  headers,
  body: JSON.stringify(body),
}).catch((err: Error) => {
  console.error(`cannot reach ${BASE}: ${err.message} (is \`npm start\` running?)`);
  process.exit(4);
});
const answer = (await created.json()) as {
  job_id?: string;
  error?: { code: string; message: string };
};
if (!created.ok || !answer.job_id) fail("POST /v1/jobs", created.status, answer.error);
console.log(`POST /v1/jobs -> ${created.status} job_id=${answer.job_id}`);
for (;;) {
  // wait_ms: the answer comes as soon as the job ends (or after 20 s, then ask again).
  const res = await fetch(`${BASE}/v1/jobs/${answer.job_id}?wait_ms=20000`, {
    headers,
  });
  const view = (await res.json()) as { status: string };
  if (["completed", "failed", "canceled"].includes(view.status)) {
    console.log(JSON.stringify(view, null, 2));
    process.exit(view.status === "completed" ? 0 : 1);
  }
}
