// `npm run gc`: runs the Worker's scheduled sweep once against the running `npm start` stack
// (POST /v1/admin/sweep) and prints what it deleted.
const url = process.env.SQL_RUNNER_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const token = process.env.SQL_RUNNER_TOKEN ?? "dev-gateway-token";

try {
  const res = await fetch(`${url}/v1/admin/sweep`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  if (!res.ok) {
    console.error(`sweep refused: HTTP ${res.status} ${text}`);
    process.exit(1);
  }
  const r = JSON.parse(text) as Record<string, unknown>;
  console.log(
    `swept in ${r.ms} ms: ${r.files_deleted} file(s) (${r.files_bytes} bytes), ` +
      `${r.layers_deleted} layer(s) (${r.layers_bytes} bytes), ${r.instances_destroyed} instance(s)`,
  );
  const errors = r.errors as Array<{ part: string; message: string }>;
  for (const e of errors) console.error(`  ${e.part}: ${e.message}`);
  process.exit(errors.length ? 1 : 0);
} catch (err) {
  console.error(`no sql-runner at ${url} (is npm start running?): ${(err as Error).message}`);
  process.exit(4);
}

export {};
