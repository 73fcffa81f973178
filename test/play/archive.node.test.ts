// The playground's zip export and import (web/playground/archive.ts): a round trip keeps files,
// head and variables; a zip of a plain project folder imports with its wrapping folder removed;
// archive litter is skipped; hostile zips (too many files, too many bytes, bad paths, not a zip)
// are refused with a message that says why, before anything large is inflated.
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import {
  exportZip,
  importProject,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_FILES,
  SETTINGS_ENTRY,
} from "../../web/playground/archive.ts";
import { EXAMPLE, exportJson } from "../../web/playground/store.ts";

const zipOf = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([p, t]) => [p, strToU8(t)])));

describe("playground zip export", () => {
  it("holds the files at their paths and comes back whole", () => {
    const project = {
      ...structuredClone(EXAMPLE),
      variables: [["min_total", "7"]] as [string, string][],
    };
    const zip = exportZip(project);
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual(
      [SETTINGS_ENTRY, ...Object.keys(EXAMPLE.files)].sort(),
    );
    expect(strFromU8(entries["seed/01_rows.sql"] as Uint8Array)).toBe(
      EXAMPLE.files["seed/01_rows.sql"],
    );
    expect(importProject(zip)).toEqual(project);
  });

  it("still imports the JSON export", () => {
    expect(importProject(strToU8(exportJson(EXAMPLE)))).toEqual(EXAMPLE);
  });
});

describe("playground zip import", () => {
  it("unwraps one folder, skips litter and picks the last head when there are no settings", () => {
    const project = importProject(
      zipOf({
        "shop/init/01_schema.sql": "CREATE TABLE t (v int);",
        "shop/seed/01_rows.sql": "INSERT INTO t VALUES (1);",
        "shop/test/q.sql": "SELECT * FROM t;",
        "shop/.git/HEAD": "ref: refs/heads/main",
        "__MACOSX/shop/._q.sql": "junk",
      }),
    );
    expect(Object.keys(project.files).sort()).toEqual([
      "init/01_schema.sql",
      "seed/01_rows.sql",
      "test/q.sql",
    ]);
    expect(project.head).toBe("test/q.sql");
    expect(project.open).toBe("test/q.sql");
    expect(project.variables).toEqual([]);
  });

  it(`refuses more than ${MAX_IMPORT_FILES} files`, () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_IMPORT_FILES; i++) files[`init/${i}.sql`] = "";
    expect(() => importProject(zipOf(files))).toThrow(
      `the zip has more than ${MAX_IMPORT_FILES} files; the playground takes at most ${MAX_IMPORT_FILES} files and 16 MiB`,
    );
  });

  it("refuses a zip that inflates past the byte cap (a zip bomb stays small on the wire)", () => {
    const bomb = zipOf({ "init/big.sql": "-".repeat(MAX_IMPORT_BYTES + 1) });
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => importProject(bomb)).toThrow("the zip has more than 16 MiB");
  });

  it("refuses paths the service would refuse, and says which", () => {
    expect(() => importProject(zipOf({ "init/a.sql": "", "init/a.sql/b.sql": "" }))).toThrow(
      "clashes with init/a.sql",
    );
    expect(() => importProject(zipOf({ "init/a.sql": "", "init/../../etc.sql": "" }))).toThrow(
      "init/../../etc.sql: no empty, . or .. segment",
    );
  });

  it("says what is wrong with something that is neither", () => {
    expect(() => importProject(strToU8("PK\u0003\u0004garbage"))).toThrow("not a readable zip");
    expect(() => importProject(zipOf({ "README.md": "hi" }))).toThrow("the zip has no .sql file");
    expect(() => importProject(strToU8("{"))).toThrow("not JSON");
  });
});
