import { describe, expect, it } from "vitest";
import { DEFAULT_SESSION_SETTINGS, planJob } from "../../src/planner/index.ts";
import { expectPlannerError } from "./helpers.ts";

const planWith = (manifest: string) =>
  planJob({
    tree: { "sql-runner.json": manifest, "init/1.sql": "select 1;" },
    headPath: "init/1.sql",
  });

describe("manifest sql-runner.json", () => {
  it("defaults without a manifest", async () => {
    const plan = await planJob({ tree: { "init/1.sql": "" }, headPath: "init/1.sql" });
    expect(plan.config).toEqual({
      hashFormat: 1,
      engine: "18",
      extensions: {},
      settings: { ...DEFAULT_SESSION_SETTINGS },
      stages: ["init", "seed"],
      isolated: ["test", "bench"],
      layers: "every-step",
    });
  });

  it("session defaults pin time zone, date/interval style, locale, float digits, encoding", () => {
    expect(DEFAULT_SESSION_SETTINGS).toMatchObject({
      TimeZone: "UTC",
      DateStyle: "ISO, MDY",
      IntervalStyle: "postgres",
      lc_messages: "C",
      lc_monetary: "C",
      lc_numeric: "C",
      lc_time: "C",
      extra_float_digits: "1",
      client_encoding: "UTF8",
    });
  });

  it("reads engine and extensions, and overrides settings case-insensitively", async () => {
    const plan = await planWith(
      JSON.stringify({
        engine: "17.2",
        extensions: { pg_trgm: "1.6", postgis: "3.5.0" },
        settings: { timezone: "Europe/Paris", Search_Path: "app, public" },
      }),
    );
    expect(plan.config.engine).toBe("17.2");
    expect(plan.config.extensions).toEqual({ pg_trgm: "1.6", postgis: "3.5.0" });
    expect(plan.config.settings.TimeZone).toBe("Europe/Paris");
    expect(plan.config.settings.search_path).toBe("app, public");
    expect(Object.keys(plan.config.settings)).not.toContain("timezone");
  });

  it("reads the layer policy, which no hash depends on", async () => {
    const tree = { "init/1.sql": "SELECT 1;", "init/2.sql": "SELECT 2;" };
    const plain = await planJob({ tree, headPath: "init/2.sql" });
    const thin = await planJob({
      tree: { ...tree, "sql-runner.json": '{"layers": "stage-ends"}' },
      headPath: "init/2.sql",
    });
    expect(plain.config.layers).toBe("every-step");
    expect(thin.config.layers).toBe("stage-ends");
    expect(thin.h0).toBe(plain.h0);
    expect(thin.tailHash).toBe(plain.tailHash);
  });

  it("may arrive as { content } and with a BOM and CRLF", async () => {
    const plan = await planJob({
      tree: { "sql-runner.json": { content: '\uFEFF{\r\n"engine": "16"\r\n}' }, "init/1.sql": "" },
      headPath: "init/1.sql",
    });
    expect(plan.config.engine).toBe("16");
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{", ""],
    ["not an object", "[]", ""],
    ["an unknown field", '{"stagez": []}', ""],
    ["stages not an array", '{"stages": "init"}', "stages"],
    ["a stage with a leading slash", '{"stages": ["init", "/seed"]}', "stages[1]"],
    ["a stage with ..", '{"stages": ["../x"]}', "stages[0]"],
    ["a repeated stage", '{"stages": ["init", "init"]}', "stages[1]"],
    ["nested stages", '{"stages": ["db", "db/seed"]}', "stages[1]"],
    ["a stage also isolated", '{"stages": ["init", "test"]}', "isolated[0]"],
    ["an engine that is not a version", '{"engine": "latest"}', "engine"],
    ["an engine given as a number", '{"engine": 18}', "engine"],
    ["an extension with a bad name", '{"extensions": {"Bad Name": "1"}}', "extensions.Bad Name"],
    ["an extension without version", '{"extensions": {"postgis": ""}}', "extensions.postgis"],
    ["a setting that is not a string", '{"settings": {"work_mem": 64}}', "settings.work_mem"],
    ["a setting with a bad name", '{"settings": {"work-mem": "64MB"}}', "settings.work-mem"],
    ["a setting named __proto__", '{"settings": {"__proto__": "x"}}', "settings.__proto__"],
    ["an extension named __proto__", '{"extensions": {"__proto__": "1"}}', "extensions.__proto__"],
    ["a top-level __proto__", '{"__proto__": {}}', "__proto__"],
    ["an unknown layer policy", '{"layers": "sometimes"}', "layers"],
    [
      "a setting named twice",
      '{"settings": {"work_mem": "1MB", "WORK_MEM": "2MB"}}',
      "settings.WORK_MEM",
    ],
  ];
  for (const [why, text, field] of bad) {
    it(`invalid_manifest for ${why}`, async () => {
      const error = await expectPlannerError(
        () => planWith(text),
        "invalid_manifest",
        "sql-runner.json",
      );
      expect(error.details.field).toBe(field);
      if (field !== "") expect(error.message).toContain(field);
      expect(error.status).toBe(422);
    });
  }
});
