// The optional manifest `sql-runner.json` at the project root: stage order, isolated stages,
// engine version, extensions, session settings and where layers are kept. Every field is optional;
// an absent field keeps its default. Validated with zod; any problem is `invalid_manifest` naming the field.
import { z } from "zod";
import { PlannerError, quote } from "./errors.ts";
import { normalizePath } from "./paths.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f]/;

export const MANIFEST_PATH = "sql-runner.json";
export const DEFAULT_STAGES: readonly string[] = ["init", "seed"];
export const DEFAULT_ISOLATED: readonly string[] = ["test", "bench"];
export const DEFAULT_ENGINE = "18";
/**
 * Where a job keeps layers: after every tail step (editing step k reuses steps 1..k-1) or only at
 * stage ends and the tail's last two steps. Not part of any hash: it changes which layers exist,
 * never what a cluster holds.
 */
export const LAYER_POLICIES = ["every-step", "stage-ends"] as const;
export type LayerPolicy = (typeof LAYER_POLICIES)[number];
export const DEFAULT_LAYERS: LayerPolicy = "every-step";

const stagePath = z
  .string()
  .min(1)
  .refine((path) => {
    try {
      return normalizePath(path) === path;
    } catch {
      return false;
    }
  }, "must be a folder path like init or db/migrations (NFC, no leading /, no . or .. segments)");

const manifestSchema = z.strictObject({
  stages: z.array(stagePath).optional(),
  isolated: z.array(stagePath).optional(),
  engine: z
    .string()
    .regex(/^\d+(\.\d+)*$/, "must be a PostgreSQL version like 18 or 18.4")
    .optional(),
  extensions: z
    .record(
      z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be an extension name like postgis or pg_trgm"),
      z
        .string()
        .min(1)
        .refine((v) => !CONTROL.test(v), "must not hold control characters"),
    )
    .optional(),
  settings: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "must be a setting name like search_path"),
      z.string().refine((v) => !v.includes("\u0000"), "must not hold NUL"),
    )
    .optional(),
  layers: z.enum(LAYER_POLICIES).optional(),
});

export interface Manifest {
  stages: string[];
  isolated: string[];
  engine: string;
  extensions: Record<string, string>;
  settings: Record<string, string>;
  layers: LayerPolicy;
}

function invalid(field: string, why: string): PlannerError {
  const where = field === "" ? "" : ` field ${field}`;
  return new PlannerError(
    "invalid_manifest",
    MANIFEST_PATH,
    `${quote(MANIFEST_PATH)}:${where} ${why}`,
    {
      field,
    },
  );
}

function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The manifest in `text` (normalized file content), or the defaults when `text` is undefined. */
export function parseManifest(text: string | undefined): Manifest {
  let json: unknown = {};
  if (text !== undefined) {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw invalid("", `is not valid JSON (${(error as Error).message})`);
    }
  }
  rejectProtoKeys(json);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let why = issue.message;
    if (issue.code === "unrecognized_keys") why += ` (${issue.keys.join(", ")})`;
    // A bad record key: zod nests the key's own issue (our message) inside.
    if (issue.code === "invalid_key" && issue.issues[0]) why = `name ${issue.issues[0].message}`;
    throw invalid(fieldName(issue.path), why);
  }
  const value = parsed.data;
  const manifest: Manifest = {
    stages: value.stages ?? [...DEFAULT_STAGES],
    isolated: value.isolated ?? [...DEFAULT_ISOLATED],
    engine: value.engine ?? DEFAULT_ENGINE,
    extensions: value.extensions ?? {},
    settings: value.settings ?? {},
    layers: value.layers ?? DEFAULT_LAYERS,
  };
  checkStages(manifest);
  checkSettingNames(manifest.settings);
  return manifest;
}

/** zod drops an own `__proto__` key silently; say so instead of ignoring a setting. */
function rejectProtoKeys(json: unknown): void {
  const own = (value: unknown) =>
    typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__");
  if (own(json)) throw invalid("__proto__", "is not a manifest field");
  for (const field of ["extensions", "settings"]) {
    const value = own(json) ? undefined : (json as Record<string, unknown> | null)?.[field];
    if (own(value)) throw invalid(`${field}.__proto__`, "is not a valid name");
  }
}

/** Stage folders must be distinct and must not nest (a file belongs to at most one stage). */
function checkStages(manifest: Manifest): void {
  const all = [
    ...manifest.stages.map((path, i) => ({ path, field: `stages[${i}]` })),
    ...manifest.isolated.map((path, i) => ({ path, field: `isolated[${i}]` })),
  ];
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = all[j]!;
      const b = all[i]!;
      if (a.path === b.path) throw invalid(b.field, `repeats stage "${b.path}" (${a.field})`);
      if (b.path.startsWith(`${a.path}/`) || a.path.startsWith(`${b.path}/`)) {
        throw invalid(b.field, `stage "${b.path}" nests with stage "${a.path}" (${a.field})`);
      }
    }
  }
}

/** PostgreSQL setting names are case-insensitive: two spellings of one name are ambiguous. */
function checkSettingNames(settings: Readonly<Record<string, string>>): void {
  const seen = new Map<string, string>();
  for (const name of Object.keys(settings)) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) {
      throw invalid(`settings.${name}`, `names the same setting as settings.${other}`);
    }
    seen.set(name.toLowerCase(), name);
  }
}
