// The CLI checks the service's project limits before it sends anything: more than 10,000 files,
// or more than 64 MiB of UTF-8, is a usage error (exit 2) naming the limit, not a 413 later.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROJECT_LIMITS, readProject } from "../../cli/project.ts";

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function projectOf(files: number): Promise<string> {
  root = await mkdtemp(join(tmpdir(), "cli-limits-"));
  await mkdir(join(root, "init"));
  for (let i = 0; i < files; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, files - i) }, (_, j) =>
        writeFile(join(root as string, "init", `${i + j}.sql`), "select 1;\n"),
      ),
    );
  return root;
}

describe("CLI project limits", () => {
  it(`takes ${PROJECT_LIMITS.maxFiles} files and refuses one more`, async () => {
    const dir = await projectOf(PROJECT_LIMITS.maxFiles);
    expect((await readProject(dir)).files.size).toBe(PROJECT_LIMITS.maxFiles);
    await writeFile(join(dir, "one-more.sql"), "select 2;\n");
    await expect(readProject(dir)).rejects.toThrow(
      `${dir}: more than ${PROJECT_LIMITS.maxFiles} files (the service's limit)`,
    );
  });

  it("refuses a project over 64 MiB, naming the file that crosses it", async () => {
    const dir = await projectOf(0);
    await writeFile(join(dir, "init", "a.sql"), `-- ${"x".repeat(40 * 1024 * 1024)}\n`);
    await writeFile(join(dir, "init", "b.sql"), `-- ${"y".repeat(25 * 1024 * 1024)}\n`);
    await expect(readProject(dir)).rejects.toThrow(
      `${dir}: the project is larger than 64 MiB (the service's limit) at init/b.sql`,
    );
  });
});
