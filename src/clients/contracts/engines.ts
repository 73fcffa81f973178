// What engines (PostgreSQL versions) and extensions a platform offers, and the two rules both sides
// apply to a manifest: which engine a requested version selects, and whether its `extensions` can
// be installed there. Shared by env-manager (infra/local-dev) and the Worker, so pure zod + logic.
import { z } from "zod";

/** One extension as `pg_available_extension_versions` lists it on one engine. */
export const ExtensionOffer = z.strictObject({
  /** Every version `CREATE EXTENSION ... VERSION` accepts, oldest first (as the server sorts). */
  versions: z.array(z.string()),
  /** The control file's default_version. */
  default_version: z.string().nullable(),
  /** A non-superuser with CREATE on the database may create it in a step (PostgreSQL 13+). */
  trusted: z.boolean(),
});
export type ExtensionOffer = z.infer<typeof ExtensionOffer>;

export const EngineOffer = z.strictObject({
  /** Engine label used in layers and cache keys, e.g. "postgres-16.14". */
  engine: z.string(),
  /** The server's exact version, e.g. "16.14" (`SHOW server_version`). */
  version: z.string(),
  major: z.number().int(),
  /** The settings profile of this engine's base images (settings are version-gated). */
  settings_digest: z.string(),
  /** The engine a base without an explicit choice boots (the newest one). */
  default: z.boolean(),
  /** name -> what this engine offers. */
  extensions: z.record(z.string(), ExtensionOffer),
});
export type EngineOffer = z.infer<typeof EngineOffer>;

/**
 * The engine a manifest's `engine` selects: "16" is the newest 16.x offered, "16.4" exactly 16.4
 * (a longer request must match the whole version). Null when none fits.
 */
export function selectEngine<T extends Pick<EngineOffer, "version">>(
  requested: string,
  offers: readonly T[],
): T | null {
  const want = requested.split(".").map(Number);
  let best: T | null = null;
  let bestParts: number[] = [];
  for (const offer of offers) {
    const parts = offer.version.split(".").map(Number);
    const matches =
      want.length === 1 ? parts[0] === want[0] : offer.version === requested || equal(want, parts);
    if (matches && (best === null || compareVersions(parts, bestParts) > 0)) {
      best = offer;
      bestParts = parts;
    }
  }
  return best;
}

function equal(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Sorted labels of what is offered, for messages: "14.23, 15.18, ...". */
export function offeredVersions(offers: readonly Pick<EngineOffer, "version">[]): string {
  return offers
    .map((o) => o.version)
    .sort((a, b) => compareVersions(a.split(".").map(Number), b.split(".").map(Number)))
    .join(", ");
}

export type EngineProblemCode =
  | "unsupported_engine"
  | "unknown_extension"
  | "unsupported_extension_version";

export interface EngineProblem {
  code: EngineProblemCode;
  /** The manifest field at fault, e.g. `engine` or `extensions.pg_trgm`. */
  field: string;
  message: string;
}

export function unsupportedEngine(
  requested: string,
  offers: readonly Pick<EngineOffer, "version">[],
): EngineProblem {
  return {
    code: "unsupported_engine",
    field: "engine",
    message: `engine: PostgreSQL ${requested} is not available; available: ${offeredVersions(offers)}`,
  };
}

/** The first extension `offer` cannot install as asked, or null when all of them can. */
export function checkExtensions(
  offer: Pick<EngineOffer, "version" | "extensions">,
  wanted: Readonly<Record<string, string>>,
): EngineProblem | null {
  for (const name of Object.keys(wanted).sort()) {
    const version = wanted[name] as string;
    const field = `extensions.${name}`;
    const known = Object.hasOwn(offer.extensions, name) ? offer.extensions[name] : undefined;
    if (!known) {
      return {
        code: "unknown_extension",
        field,
        message: `${field}: PostgreSQL ${offer.version} has no extension "${name}"`,
      };
    }
    if (!known.versions.includes(version)) {
      return {
        code: "unsupported_extension_version",
        field,
        message: `${field}: PostgreSQL ${offer.version} cannot install ${name} version "${version}"; available: ${known.versions.join(", ")}`,
      };
    }
  }
  return null;
}

/** The order-independent identity of a set of extensions (part of a base image's key). */
export function extensionsKey(extensions: Readonly<Record<string, string>>): string {
  return Object.keys(extensions)
    .sort()
    .map((name) => `${name}=${extensions[name]}`)
    .join(",");
}
