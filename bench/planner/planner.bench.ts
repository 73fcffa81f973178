// Planner throughput inside workerd: planJob over a generated 5,000-file / 50 MiB project,
// against raw crypto.subtle.digest over the same bytes in the same run. Prints a table of
// medians; `npm run bench:planner`. Not a test: nothing here asserts a timing.
import { it } from "vitest";
import { planJob, validateTree } from "../../src/planner/index.ts";
import { scanIncludes } from "../../test/planner/helpers.ts";
import { generateProject } from "./project.ts";

const FILES = 5_000;
const BYTES = 50 * 1024 * 1024;
const ROUNDS = 9;
const LIMITS = { maxTotalBytes: 2 * BYTES };
const MiB = 1024 * 1024;

interface Case {
  name: string;
  bytes: number;
  run: () => Promise<unknown>;
}

/**
 * Runs every case once per round, round-robin, so a noisy neighbour slows all cases alike; the
 * first round is a warm-up (JIT, allocations). Returns each case's durations in ms.
 */
async function measure(cases: readonly Case[]): Promise<number[][]> {
  const runs: number[][] = cases.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const start = performance.now();
      await c.run();
      if (round > 0) runs[i]!.push(performance.now() - start);
    }
  }
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it("planner: 5,000 files / 50 MiB inside workerd", async () => {
  const lf = generateProject(FILES, BYTES);
  const crlf = generateProject(FILES, BYTES, { lineEnd: "\r\n" });
  const bom = generateProject(FILES, BYTES, { lineEnd: "\r\n", bom: true });
  const meta = generateProject(FILES, BYTES, { meta: true });
  const encoder = new TextEncoder();
  const buffers = Object.values(lf.tree).map((text) => encoder.encode(text));
  const joined = new Uint8Array(lf.bytes);
  let offset = 0;
  for (const buffer of buffers) {
    joined.set(buffer, offset);
    offset += buffer.byteLength;
  }

  const cases: Case[] = [
    {
      name: "baseline: crypto.subtle.digest, one per file (pre-encoded bytes)",
      bytes: lf.bytes,
      run: async () => {
        for (const buffer of buffers) await crypto.subtle.digest("SHA-256", buffer);
      },
    },
    {
      name: "baseline: crypto.subtle.digest, 1 MiB chunks",
      bytes: lf.bytes,
      run: async () => {
        for (let at = 0; at < joined.byteLength; at += MiB) {
          await crypto.subtle.digest("SHA-256", joined.subarray(at, at + MiB));
        }
      },
    },
    {
      name: "validateTree (sync checks at append time)",
      bytes: lf.bytes,
      run: async () => validateTree(lf.tree, LIMITS),
    },
    {
      name: "planJob, LF files",
      bytes: lf.bytes,
      run: () => planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS }),
    },
    {
      name: "planJob, CRLF files (normalized)",
      bytes: crlf.bytes,
      run: () => planJob({ tree: crlf.tree, headPath: crlf.headPath, limits: LIMITS }),
    },
    {
      name: "planJob, BOM + CRLF files (normalized; UTF-16 strings in V8)",
      bytes: bom.bytes,
      run: () => planJob({ tree: bom.tree, headPath: bom.headPath, limits: LIMITS }),
    },
    {
      name: "planJob, LF files + include scanner (no backslash: scanner skipped)",
      bytes: lf.bytes,
      run: () => planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS, scanIncludes }),
    },
    {
      name: "planJob, LF files with a \\echo line + the tests' regex include scanner",
      bytes: meta.bytes,
      run: () =>
        planJob({ tree: meta.tree, headPath: meta.headPath, limits: LIMITS, scanIncludes }),
    },
  ];
  const runs = await measure(cases);

  const plan = await planJob({ tree: lf.tree, headPath: lf.headPath, limits: LIMITS });
  const baseline = median(runs[0]!);
  const lines = [
    `files: ${FILES}, bytes: ${lf.bytes} (${(lf.bytes / MiB).toFixed(1)} MiB), tail steps: ${plan.tail.length}, rounds: ${ROUNDS} (+1 warm-up), round-robin`,
    "",
    "| measurement | median ms | MB/s | vs raw digest per file |",
    "|---|---:|---:|---:|",
  ];
  for (const [i, c] of cases.entries()) {
    const ms = median(runs[i]!);
    const mbs = c.bytes / 1e6 / (ms / 1000);
    lines.push(
      `| ${c.name} | ${ms.toFixed(0)} | ${mbs.toFixed(0)} | ${(baseline / ms).toFixed(2)} |`,
    );
  }
  console.log(`\n${lines.join("\n")}\n`);
});
