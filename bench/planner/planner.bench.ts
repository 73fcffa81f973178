// Planner throughput inside workerd: planJob over a generated 5,000-file / 50 MiB project,
// against raw crypto.subtle.digest over the same bytes in the same run. Prints a table of
// medians; `npm run bench:planner`. Not a test: nothing here asserts a timing.
import { it } from "vitest";
import { planJob, validateTree } from "../../src/planner/index.ts";
import { scanIncludes } from "../../test/planner/helpers.ts";
import { generateProject } from "./project.ts";

const FILES = 5_000;
const BYTES = 50 * 1024 * 1024;
const RUNS = 9;
const LIMITS = { maxTotalBytes: 2 * BYTES };

interface Row {
  name: string;
  runs: number[];
  bytes: number;
}

async function measure(name: string, bytes: number, run: () => Promise<unknown>): Promise<Row> {
  await run(); // warm-up (JIT, allocations)
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    runs.push(performance.now() - start);
  }
  return { name, runs, bytes };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it("planner: 5,000 files / 50 MiB inside workerd", async () => {
  const lf = generateProject(FILES, BYTES);
  const crlf = generateProject(FILES, BYTES, { lineEnd: "\r\n", bom: true });
  const encoder = new TextEncoder();
  const buffers = Object.values(lf.tree).map((text) => encoder.encode(text));
  const joined = new Uint8Array(lf.bytes);
  let offset = 0;
  for (const buffer of buffers) {
    joined.set(buffer, offset);
    offset += buffer.byteLength;
  }
  const MiB = 1024 * 1024;

  const rows: Row[] = [];
  rows.push(
    await measure(
      "baseline: crypto.subtle.digest, one per file (pre-encoded)",
      lf.bytes,
      async () => {
        for (const buffer of buffers) await crypto.subtle.digest("SHA-256", buffer);
      },
    ),
  );
  rows.push(
    await measure("baseline: crypto.subtle.digest, 1 MiB chunks", lf.bytes, async () => {
      for (let at = 0; at < joined.byteLength; at += MiB) {
        await crypto.subtle.digest("SHA-256", joined.subarray(at, at + MiB));
      }
    }),
  );
  rows.push(
    await measure("validateTree (sync checks only)", lf.bytes, async () =>
      validateTree(lf.tree, LIMITS),
    ),
  );
  rows.push(
    await measure("planJob, LF files", lf.bytes, () =>
      planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS }),
    ),
  );
  rows.push(
    await measure("planJob, BOM + CRLF files (normalized)", crlf.bytes, () =>
      planJob({ tree: crlf.tree, headPath: crlf.headPath, limits: LIMITS }),
    ),
  );
  rows.push(
    await measure("planJob, LF files + test include scanner", lf.bytes, () =>
      planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS, scanIncludes }),
    ),
  );

  const plan = await planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS });
  const baseline = median(rows[0]!.runs);
  const lines = [
    `files: ${FILES}, bytes: ${lf.bytes} (${(lf.bytes / MiB).toFixed(1)} MiB), tail steps: ${plan.tail.length}, runs: ${RUNS} (+1 warm-up)`,
    "",
    "| measurement | median ms | MB/s | vs raw digest per file |",
    "|---|---:|---:|---:|",
  ];
  for (const row of rows) {
    const ms = median(row.runs);
    const mbs = row.bytes / 1e6 / (ms / 1000);
    lines.push(
      `| ${row.name} | ${ms.toFixed(0)} | ${mbs.toFixed(0)} | ${(baseline / ms).toFixed(2)} |`,
    );
  }
  console.log(`\n${lines.join("\n")}\n`);
});
