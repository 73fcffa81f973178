// Every bad input gets its status, its code, and a message naming the offending field or path.
import { describe, expect, it } from "vitest";
import { call, createJob, errorOf, shortJob, uid } from "./helpers.ts";

interface Case {
  name: string;
  body: unknown;
  status: number;
  code: string;
  field?: string;
  path?: string;
}

const cases: Case[] = [
  {
    name: "unknown field",
    body: shortJob({ colour: "red" }),
    status: 400,
    code: "validation_failed",
    field: "colour",
  },
  {
    name: "missing request_id",
    body: shortJob({ request_id: undefined }),
    status: 400,
    code: "validation_failed",
    field: "request_id",
  },
  {
    name: "empty user_id",
    body: shortJob({ user_id: "" }),
    status: 400,
    code: "validation_failed",
    field: "user_id",
  },
  {
    name: "request_id with a space",
    body: shortJob({ request_id: "a b" }),
    status: 400,
    code: "validation_failed",
    field: "request_id",
  },
  {
    name: "unknown mode",
    body: shortJob({ mode: "medium" }),
    status: 400,
    code: "validation_failed",
    field: "mode",
  },
  {
    name: "timeout_ms as a string",
    body: shortJob({ timeout_ms: "100" }),
    status: 400,
    code: "validation_failed",
    field: "timeout_ms",
  },
  {
    name: "timeout_ms too small",
    body: shortJob({ timeout_ms: 5 }),
    status: 400,
    code: "validation_failed",
    field: "timeout_ms",
  },
  {
    name: "timeout_ms too large",
    body: shortJob({ timeout_ms: 10_000_000 }),
    status: 400,
    code: "validation_failed",
    field: "timeout_ms",
  },
  {
    name: "fractional job_ttl",
    body: shortJob({ job_ttl: 100.5 }),
    status: 400,
    code: "validation_failed",
    field: "job_ttl",
  },
  {
    name: "job_ttl over 30 days",
    body: shortJob({ job_ttl: 30 * 24 * 3600 + 1 }),
    status: 400,
    code: "validation_failed",
    field: "job_ttl",
  },
  {
    name: "snapshot_ttl over 90 days",
    body: shortJob({ snapshot_ttl: 90 * 24 * 3600 + 1 }),
    status: 400,
    code: "validation_failed",
    field: "snapshot_ttl",
  },
  {
    name: "snapshot_ttl below a minute",
    body: shortJob({ snapshot_ttl: 1 }),
    status: 400,
    code: "validation_failed",
    field: "snapshot_ttl",
  },
  {
    name: "variable with a bad name",
    body: shortJob({ variables: { "1x": "a" } }),
    status: 400,
    code: "validation_failed",
    field: 'variables["1x"]',
  },
  {
    name: "variable that is not a string",
    body: shortJob({ variables: { x: 1 } }),
    status: 400,
    code: "validation_failed",
    field: "variables.x",
  },
  {
    name: "telemetry_context not an object",
    body: shortJob({ telemetry_context: "x" }),
    status: 400,
    code: "validation_failed",
    field: "telemetry_context",
  },
  {
    name: "file entry with an unknown key",
    body: shortJob({ project_tree: { "init/a.sql": { text: "x" } } }),
    status: 400,
    code: "validation_failed",
    field: 'project_tree["init/a.sql"]',
  },
  {
    name: "short job without a tree",
    body: shortJob({ project_tree: undefined }),
    status: 400,
    code: "validation_failed",
    field: "project_tree",
  },
  {
    name: "short job without a head",
    body: shortJob({ head_path: undefined }),
    status: 400,
    code: "validation_failed",
    field: "head_path",
  },
  { name: "empty tree", body: shortJob({ project_tree: {} }), status: 422, code: "empty_tree" },
  {
    name: "path with ..",
    body: shortJob({ project_tree: { "init/../x.sql": "SELECT 1;" }, head_path: "init/../x.sql" }),
    status: 422,
    code: "invalid_path",
    path: "init/../x.sql",
  },
  {
    name: "absolute path",
    body: shortJob({ project_tree: { "/init/x.sql": "SELECT 1;" }, head_path: "init/x.sql" }),
    status: 422,
    code: "invalid_path",
    path: "/init/x.sql",
  },
  {
    name: "bad etag",
    body: shortJob({ project_tree: { "init/x.sql": { etag: "md5:1" } }, head_path: "init/x.sql" }),
    status: 422,
    code: "invalid_file",
    path: "init/x.sql",
  },
  {
    name: "head not in the tree",
    body: shortJob({ head_path: "test/missing.sql" }),
    status: 422,
    code: "unknown_head",
    path: "test/missing.sql",
  },
  {
    name: "unknown on_error",
    body: shortJob({ on_error: "ignore" }),
    status: 400,
    code: "validation_failed",
    field: "on_error",
  },
  {
    name: "unknown output kind",
    body: shortJob({ output: "html" }),
    status: 400,
    code: "validation_failed",
    field: "output",
  },
  {
    name: "unknown output kind in a list",
    body: shortJob({ output: ["json", "xml"] }),
    status: 400,
    code: "validation_failed",
    field: "output",
  },
  {
    name: "empty output list",
    body: shortJob({ output: [] }),
    status: 400,
    code: "validation_failed",
    field: "output",
  },
  {
    name: "unknown echo",
    body: shortJob({ echo: "queries" }),
    status: 400,
    code: "validation_failed",
    field: "echo",
  },
  {
    name: "heads and head_path together",
    body: shortJob({ heads: ["test/select.sql"] }),
    status: 400,
    code: "validation_failed",
    field: "heads",
  },
  {
    name: "empty heads",
    body: shortJob({ head_path: undefined, heads: [] }),
    status: 400,
    code: "validation_failed",
    field: "heads",
  },
  {
    name: "more heads than the cap",
    body: shortJob({
      head_path: undefined,
      heads: Array.from({ length: 101 }, (_, i) => `test/${i}.sql`),
    }),
    status: 400,
    code: "validation_failed",
    field: "heads",
  },
  {
    name: "a head that is not a string",
    body: shortJob({ head_path: undefined, heads: ["test/select.sql", 3] }),
    status: 400,
    code: "validation_failed",
    field: "heads[1]",
  },
  {
    name: "a head not in the tree",
    body: shortJob({ head_path: undefined, heads: ["test/select.sql", "test/nope.sql"] }),
    status: 422,
    code: "unknown_head",
    path: "test/nope.sql",
  },
  {
    name: "a heads folder without .sql files",
    body: shortJob({ head_path: undefined, heads: ["docs/"] }),
    status: 422,
    code: "unknown_head",
    path: "docs/",
  },
  {
    name: "a folder that expands past the heads cap",
    body: shortJob({
      head_path: undefined,
      heads: ["test/"],
      project_tree: Object.fromEntries(
        Array.from({ length: 101 }, (_, i) => [`test/h${i}.sql`, "SELECT 1;"]),
      ),
    }),
    status: 422,
    code: "too_many_heads",
    path: "test/",
  },
  {
    name: "heads with different tails",
    body: shortJob({ head_path: undefined, heads: ["test/select.sql", "seed/01_rows.sql"] }),
    status: 422,
    code: "heads_tail_mismatch",
    path: "seed/01_rows.sql",
  },
];

describe("POST /v1/jobs rejects bad input", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await call("/v1/jobs", { body: c.body });
      expect(res.status).toBe(c.status);
      const err = await errorOf(res);
      expect(err.code).toBe(c.code);
      if (c.field) {
        expect(err.field).toBe(c.field);
        expect(err.message).toContain(c.field);
      }
      if (c.path) {
        expect(err.path).toBe(c.path);
        expect(err.message).toContain(c.path);
      }
    });
  }

  it("rejects a body that is not JSON", async () => {
    const res = await call("/v1/jobs", { rawBody: "{not json" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_json");
  });

  it("rejects a tree with too many files as 413", async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i <= 10_000; i++) tree[`seed/${i}.sql`] = "";
    const res = await call("/v1/jobs", {
      body: shortJob({ project_tree: tree, head_path: "seed/1.sql" }),
    });
    expect(res.status).toBe(413);
    const err = await errorOf(res);
    expect(err.code).toBe("too_many_files");
  });
});

describe("other routes reject bad input", () => {
  it("requires X-User-Id", async () => {
    const jobId = await createJob(shortJob());
    const res = await call(`/v1/jobs/${jobId}`);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("missing_user_id");
    expect(err.message).toContain("X-User-Id");
  });

  it("validates the logs cursor", async () => {
    const body = shortJob();
    const jobId = await createJob(body);
    const user = String(body.user_id);
    for (const [query, field] of [
      ["after=-1", "after"],
      ["after=x", "after"],
      ["limit=0", "limit"],
      ["cursor=3", "cursor"],
    ] as const) {
      const res = await call(`/v1/jobs/${jobId}/logs?${query}`, { user });
      expect(res.status, query).toBe(400);
      const err = await errorOf(res);
      expect(err.code).toBe("validation_failed");
      expect(err.field).toBe(field);
    }
  });

  it("validates the long-poll wait", async () => {
    const body = shortJob();
    const jobId = await createJob(body);
    for (const query of ["wait_ms=-1", "wait_ms=31000", "wait=5"]) {
      const res = await call(`/v1/jobs/${jobId}?${query}`, { user: String(body.user_id) });
      expect(res.status, query).toBe(400);
      const err = await errorOf(res);
      expect(err.code).toBe("validation_failed");
      expect(err.field).toBe(query.split("=")[0]);
    }
  });

  it("validates append and run bodies", async () => {
    const user = uid("user");
    const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
    const bad: [string, unknown, string][] = [
      ["/append", { part: 0, project_tree: {} }, "part"],
      ["/append", { part: 1 }, "project_tree"],
      ["/append", { part: 1, project_tree: {}, extra: true }, "extra"],
      ["/run", { head: "x" }, "head"],
      ["/run", { variables: { "a-b": "1" } }, 'variables["a-b"]'],
      ["/run", { on_error: "never" }, "on_error"],
      ["/run", { output: ["psql", "psql", "json"] }, "output"],
      ["/run", { echo: true }, "echo"],
      ["/run", { head_path: "test/a.sql", heads: ["test/a.sql"] }, "heads"],
    ];
    for (const [suffix, body, field] of bad) {
      const res = await call(`/v1/jobs/${jobId}${suffix}`, { body, user });
      expect(res.status, `${suffix} ${field}`).toBe(400);
      const err = await errorOf(res);
      expect(err.code).toBe("validation_failed");
      expect(err.field).toBe(field);
    }
  });
});

describe("names JSON can carry but a job cannot hold", () => {
  // Sent as raw JSON: in a JS object literal "__proto__" would set the prototype instead.
  const rawWithProto = (overrides: Record<string, unknown>) =>
    JSON.stringify(shortJob(overrides)).replace('"PROTO"', '"__proto__"');

  it("refuses a __proto__ path, variable or nested key with 422 reserved_name", async () => {
    const bodies: [string, string][] = [
      [
        rawWithProto({ project_tree: { PROTO: "x", "test/select.sql": "select 1;" } }),
        "project_tree.__proto__",
      ],
      [rawWithProto({ variables: { PROTO: "1" } }), "variables.__proto__"],
      [rawWithProto({ telemetry_context: { PROTO: { a: "b" } } }), "telemetry_context.__proto__"],
    ];
    for (const [rawBody, field] of bodies) {
      const res = await call("/v1/jobs", { rawBody });
      expect(res.status, field).toBe(422);
      const err = await errorOf(res);
      expect(err.code).toBe("reserved_name");
      expect(err.field).toBe(field);
      expect(err.message).toBe(
        `body: ${field}: "__proto__" cannot be a file, variable or key name`,
      );
    }
  });

  it("takes constructor and toString as ordinary paths and variables", async () => {
    const res = await call("/v1/jobs", {
      body: shortJob({
        project_tree: {
          constructor: "-- a file",
          "init/toString.sql": "select 1;",
          "test/q.sql": "select :'constructor';",
        },
        head_path: "test/q.sql",
        variables: { constructor: "1", toString: "2" },
      }),
    });
    expect(res.status).toBe(202);
  });

  it("refuses a NUL in a variable with 422 invalid_variable", async () => {
    const res = await call("/v1/jobs", { body: shortJob({ variables: { v: "a\u0000b" } }) });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("invalid_variable");
    expect(err.field).toBe("variables.v");
    expect(err.message).toBe(
      "body: variables.v: contains a NUL character, which PostgreSQL text cannot hold",
    );
  });
});
