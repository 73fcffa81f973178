// Packs a stopped data directory into one archive file and back. Layer storage sits on an ordinary
// disk where creating a file costs ~0.6 ms here (a cluster has ~1,000 files), so a layer is one
// `data.tar` (GNU tar, numeric owners preserved) hashed while it streams: the hash is the layer id.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";

/** Files of a stopped cluster that a copy must not carry (runtime leftovers). */
const EXCLUDES = [
  "./postmaster.pid",
  "./postmaster.opts",
  "./pg_stat_tmp/*",
  "./pg_dynshmem/*",
  "./*.log",
];

export interface PackResult {
  sha256: string;
  sizeBytes: number;
}

/** Writes `dataDir` as a tar archive to `destFile`; returns the archive's SHA-256 and size. */
export function packDataDir(dataDir: string, destFile: string): Promise<PackResult> {
  return new Promise((resolve, reject) => {
    const tar = spawn(
      "tar",
      ["--create", "--file=-", "--numeric-owner", ...EXCLUDES.map((e) => `--exclude=${e}`), "."],
      { cwd: dataDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    const hash = createHash("sha256");
    const out = createWriteStream(destFile);
    let size = 0;
    let stderr = "";
    tar.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    tar.stdout.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    tar.stdout.pipe(out);
    let tarCode: number | null = null;
    let finished = false;
    const done = () => {
      if (tarCode === null || !finished) return;
      if (tarCode !== 0) reject(new Error(`tar --create failed (${tarCode}): ${stderr.trim()}`));
      else resolve({ sha256: hash.digest("hex"), sizeBytes: size });
    };
    tar.once("error", reject);
    out.once("error", reject);
    tar.once("close", (code) => {
      tarCode = code ?? -1;
      done();
    });
    out.once("finish", () => {
      finished = true;
      done();
    });
  });
}

/** Extracts an archive made by packDataDir into the (existing, empty) directory `destDir`. */
export function unpackDataDir(
  archive: string,
  destDir: string,
  opts: { background?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const asRoot = process.getuid?.() === 0;
    const args = [
      "--extract",
      `--file=${archive}`,
      ...(asRoot ? ["--same-owner", "--numeric-owner"] : []),
    ];
    // Background (pool refill) unpacks yield the CPU to foreground boots and queries.
    const tar = opts.background
      ? spawn("nice", ["-n", "10", "tar", ...args], {
          cwd: destDir,
          stdio: ["ignore", "ignore", "pipe"],
        })
      : spawn("tar", args, { cwd: destDir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    tar.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    tar.once("error", reject);
    tar.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`tar --extract failed (${code}): ${stderr.trim()}`));
    });
  });
}
