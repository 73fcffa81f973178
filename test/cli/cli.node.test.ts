// The `sql-runner` CLI as a person runs it, against the whole stack as `npm start` runs it
// (platform + wrangler dev): exit codes, psql tables, the caret under an error's column, the
// snapshot summary, `test` with .out expectations, `jobs`, and Ctrl-C cancelling the job.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LiveStack, startLiveStack } from "../../bench/live/stack.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "cli", "bin.ts");

// Jobs on a shared, loaded machine: a cold tail replay alone can take tens of seconds.
vi.setConfig({ testTimeout: 240_000 });

let stack: LiveStack;
let work: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      SQL_RUNNER_URL: stack.url,
      SQL_RUNNER_USER: "cli-test",
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Ran>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const cli = (args: string[], env?: Record<string, string>) => start(args, env).done;

/** A copy of examples/shop plus extra files, so each test sees its own project. */
async function project(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(work, "p-"));
  await cp(join(ROOT, "examples", "shop"), dir, { recursive: true });
  for (const [path, text] of Object.entries(extra)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sql-runner-cli-test-"));
  stack = await startLiveStack();
}, 240_000);

afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe("sql-runner run", () => {
  it("prints the head's rows as psql does, then the snapshot summary and timing (exit 0)", async () => {
    const first = await cli([
      "run",
      "examples/shop",
      "--head",
      "test/top_customers.sql",
      "--var",
      "min_total=100",
    ]);
    expect(first.stderr).not.toContain("sql-runner:");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      [
        " name  |   city   | spent  | orders ",
        "-------+----------+--------+--------",
        " Grace | New York | 352.25 |      2",
        " Ada   | London   | 200.50 |      2",
        "(2 rows)",
        "",
        "",
      ].join("\n"),
    );
    // Not a TTY: plain progress lines on stderr.
    expect(first.stderr).toMatch(/^stage tail_replay$/m);
    expect(first.stderr).toMatch(/^replayed 3\/3 seed\/02_orders\.sql \(\d+ ms\)$/m);
    expect(first.stderr).toMatch(/^snapshot: (miss|hit) \(3 tail steps: /m);
    expect(first.stderr).toMatch(/^time: \d+ ms \(/m);
    // Again: the tail comes from its layers.
    const again = await cli([
      "run",
      "examples/shop",
      "--head",
      "test/orders_per_month.sql",
      "--json",
    ]);
    expect(again.code).toBe(0);
    const view = JSON.parse(again.stdout) as {
      status: string;
      snapshot: { hit: boolean; reused_steps: number };
    };
    expect(view.status).toBe("completed");
    expect(view.snapshot).toMatchObject({ hit: true, reused_steps: 3 });
  });

  it("falls back to polling the event log after 5 refused live sockets (a proxy without upgrades)", async () => {
    // The fault: a forwarding proxy in front of the stack that answers every WebSocket upgrade
    // 403, as some corporate proxies do; plain HTTP goes through.
    let upgrades = 0;
    const target = new URL(stack.url);
    const proxy = createServer((req, res) => {
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    proxy.on("upgrade", (_req, socket) => {
      upgrades++;
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const ran = await cli(
        ["run", "examples/shop", "--head", "test/top_customers.sql", "--var", "min_total=100"],
        { SQL_RUNNER_URL: `http://127.0.0.1:${port}` },
      );
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toContain(" Grace | New York | 352.25 |      2");
      expect(ran.stderr).toMatch(/^live socket unavailable; polling the event log$/m);
      expect(upgrades).toBe(5);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("prints FILE:LINE:COL: ERROR, the source line and a caret under the column (exit 1)", async () => {
    const dir = await project({ "test/bad.sql": "SELECT name,\n\tcity FROM no_such_table;\n" });
    const ran = await cli(["run", dir, "--head", "test/bad.sql", "--no-progress"]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe("");
    const lines = ran.stderr.split("\n");
    const at = lines.findIndex((l) => l.startsWith("test/bad.sql:2:12: ERROR: "));
    expect(at, ran.stderr).toBeGreaterThanOrEqual(0);
    expect(lines[at]).toBe('test/bad.sql:2:12: ERROR: relation "no_such_table" does not exist');
    expect(lines[at + 1]).toBe(" 2 | \tcity FROM no_such_table;");
    // The tab is kept so the caret sits under "no_such_table" whatever the tab width.
    expect(lines[at + 2]).toBe(`   | \t${" ".repeat(10)}^`);
    expect(ran.stderr).toContain("(SQLSTATE 42P01, code head_error)");
  });

  it("--on-error continue runs past an error: rows of every statement, the error, exit 0", async () => {
    const dir = await project({
      "test/partly.sql": "SELECT 1 AS a;\nSELECT * FROM no_such_table;\nSELECT 2 AS b;\n",
    });
    const stopped = await cli(["run", dir, "--head", "test/partly.sql", "--no-progress"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toBe(" a \n---\n 1\n(1 row)\n\n");
    const ran = await cli([
      "run",
      dir,
      "--head",
      "test/partly.sql",
      "--on-error",
      "continue",
      "--no-progress",
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe(" a \n---\n 1\n(1 row)\n\n b \n---\n 2\n(1 row)\n\n");
    expect(ran.stderr).toContain(
      'test/partly.sql:2:15: ERROR: relation "no_such_table" does not exist',
    );
    expect(ran.stderr).toMatch(/completed/);
  });

  it("refuses a head that is not in the folder, bad flags and bad variables (exit 2)", async () => {
    const missing = await cli(["run", "examples/shop", "--head", "test/nope.sql"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--head test/nope.sql: no such file in examples/shop");
    const flag = await cli(["run", "examples/shop", "--head", "test/top_customers.sql", "--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--bogus'");
    const variable = await cli([
      "run",
      "examples/shop",
      "--head",
      "test/top_customers.sql",
      "--var",
      "1x=2",
    ]);
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("--var 1x=2");
    const notSql = await cli(["run", "examples/shop", "--head", "sql-runner.json"]);
    expect(notSql.code).toBe(2);
    expect(notSql.stderr).toContain("head_not_sql");
  });

  it("uploads only the files the service lacks, then names every file by etag", async () => {
    const dir = await project({});
    // A user of its own: what other tests sent is theirs (etags are per user).
    const env = { SQL_RUNNER_USER: `cli-blobs-${process.pid}-${Date.now()}` };
    const args = ["run", dir, "--head", "test/top_customers.sql", "--var", "min_total=100"];
    const first = await cli(args, env);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^files: 6 sent, 0 already on the service$/m);
    const again = await cli(args, env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^files: 0 sent, 6 already on the service$/m);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stdout).toContain(" Grace | New York | 352.25 |      2");
    await appendFile(join(dir, "test/top_customers.sql"), "\n-- edited\n");
    const edited = await cli(args, env);
    expect(edited.code).toBe(0);
    expect(edited.stderr).toMatch(/^files: 1 sent, 5 already on the service$/m);
    // Another user sent the same bytes, but holds none of them: everything is sent again.
    const other = await cli(args, { SQL_RUNNER_USER: `${env.SQL_RUNNER_USER}-other` });
    expect(other.code).toBe(0);
    expect(other.stderr).toMatch(/^files: 6 sent, 0 already on the service$/m);
  });

  it("names the file a blob upload refused for its size (exit 1)", async () => {
    const big = `-- ${"x".repeat(16 * 1024 * 1024)}\n`;
    const dir = await project({ "seed/03_big.sql": big });
    const ran = await cli(["run", dir, "--head", "test/top_customers.sql"], {
      SQL_RUNNER_USER: `cli-big-${process.pid}-${Date.now()}`,
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      "seed/03_big.sql: file_too_large: blob is larger than 16777216 bytes",
    );
  });

  it("exits 4 when the service cannot be reached", async () => {
    const ran = await cli([
      "run",
      "examples/shop",
      "--head",
      "test/top_customers.sql",
      "--url",
      "http://127.0.0.1:9",
    ]);
    expect(ran.code).toBe(4);
    expect(ran.stderr).toContain("cannot reach sql-runner at http://127.0.0.1:9");
  });

  it("cancels the job on Ctrl-C and exits 3", async () => {
    const dir = await project({ "test/slow.sql": "SELECT pg_sleep(60);\n" });
    const { child, done } = start(["run", dir, "--head", "test/slow.sql"]);
    let seen = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (d: Buffer) => {
        seen += d.toString();
        if (/^stage head_execution$/m.test(seen)) resolve();
      });
    });
    child.kill("SIGINT");
    const ran = await done;
    expect(ran.code).toBe(3);
    expect(ran.stderr).toMatch(/canceling job [0-9a-f]{32}/);
    expect(ran.stderr).toMatch(/^CANCELED: /m);
    expect(ran.stderr).toMatch(/^job [0-9a-f]{32} canceled$/m);
  });
});

describe("sql-runner test", () => {
  it("runs every isolated head, checks .out files, prints a summary and fails on any failure", async () => {
    const good = await cli(["test", "examples/shop", "--var", "min_total=100"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ test\/orders_per_month\.sql \| ok /m);
    expect(good.stdout).toContain("2 of 2 heads passed");

    const expected = " n \n---\n 1\n(1 row)\n\n";
    const dir = await project({
      "test/one.sql": "SELECT 1 AS n;\n",
      "test/one.out": expected,
      "test/two.sql": "SELECT 2 AS n;\n",
      "test/two.out": expected,
      "test/broken.sql": "SELEC 1;\n",
    });
    const ran = await cli(["test", dir, "--var", "min_total=100"]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^ test\/one\.sql +\| ok /m);
    expect(ran.stdout).toMatch(/^ test\/two\.sql +\| differs /m);
    expect(ran.stdout).toMatch(/^ test\/broken\.sql +\| failed /m);
    expect(ran.stdout).toContain("3 of 5 heads passed");
    expect(ran.stderr).toContain("output differs from test/two.out at line 3:");
    expect(ran.stderr).toContain('test/broken.sql:1:1: ERROR: syntax error at or near "SELEC"');
  });
});

describe("sql-runner watch", () => {
  it("runs again when a file changes, skipping ignored ones, until Ctrl-C", async () => {
    // Ignored files would break the tail if they were sent: a .gitignore'd step, a dot-folder,
    // node_modules.
    const dir = await project({
      ".gitignore": "seed/99_broken.sql\n",
      "seed/99_broken.sql": "THIS IS NOT SQL;\n",
      "seed/.wip/01.sql": "NOR THIS;\n",
      "seed/node_modules/01.sql": "NOR THIS;\n",
      "test/n.sql": "SELECT count(*) AS n FROM customer;\n",
    });
    const { child, done } = start(["watch", dir, "--head", "test/n.sql", "--no-progress"]);
    const waitFor = (re: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (re.test(output)) resolve();
        };
        child.stdout?.on("data", check);
        child.stderr?.on("data", check);
        check();
      });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(/watching .* for changes/);
    expect(output).toContain("(1 row)");
    await appendFile(
      join(dir, "seed", "02_orders.sql"),
      "\nINSERT INTO customer VALUES (99, 'Linus', 'Helsinki');\n",
    );
    await waitFor(/job [0-9a-f]{32} completed[\s\S]*job [0-9a-f]{32} completed/);
    expect(output.match(/\(1 row\)/g)?.length).toBe(2);
    // The second run replayed only the edited step.
    expect(output).toMatch(/snapshot: miss \(3 tail steps: 2 reused, 1 replayed\)/);
    child.kill("SIGINT");
    expect((await done).code).toBe(0);
  });
});

describe("sql-runner jobs", () => {
  it("shows, lists the events of and cancels a job by id", async () => {
    const ran = await cli([
      "run",
      "examples/shop",
      "--head",
      "test/top_customers.sql",
      "--var",
      "min_total=300",
      "--json",
    ]);
    const { job_id: id } = JSON.parse(ran.stdout) as { job_id: string };
    const show = await cli(["jobs", "show", id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(" Grace | New York | 352.25 |      2");
    const logs = await cli(["jobs", "logs", id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^ {3}1 \S+ status \{"status":"pending"/m);
    expect(logs.stdout).toMatch(/"terminal":true/);
    const cancel = await cli(["jobs", "cancel", id]);
    expect(cancel.stdout).toBe(`job ${id} completed\n`);
    const other = await cli(["jobs", "show", id], { SQL_RUNNER_USER: "someone-else" });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("not_found");
  });

  it("has --help for every command, and npx finds the bin", async () => {
    for (const args of [
      ["run", "--help"],
      ["test", "--help"],
      ["watch", "--help"],
      ["jobs", "--help"],
      ["--help"],
    ]) {
      const ran = await cli(args);
      expect(ran.code, args.join(" ")).toBe(0);
      expect(ran.stdout).toMatch(/^Usage: sql-runner/);
    }
    const npx = await new Promise<Ran>((resolve) => {
      const child = spawn("npx", ["--no-install", "sql-runner", "--help"], { cwd: ROOT });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.on("close", (code) => resolve({ code, stdout, stderr: "" }));
    });
    expect(npx.code).toBe(0);
    expect(npx.stdout).toContain("run DIR --head PATH");
  });
});
