// Extensions in base images: what an engine offers (pg_available_extension_versions) and creating a
// manifest's extensions, as the bootstrap superuser, in template1 and the default database, so a
// `CREATE DATABASE` in a step inherits them.
import type pg from "pg";
import type { ExtensionOffer } from "../../../src/clients/contracts/engines.ts";
import { literal, withAdmin } from "./admin.ts";
import { ADMIN_DATABASE, USER_DATABASE } from "./settings.ts";

/** Every extension the server can install and its versions, as its catalog view lists them. */
export async function readExtensionOffers(
  client: pg.Client,
): Promise<Record<string, ExtensionOffer>> {
  const res = await client.query<{
    name: string;
    version: string;
    trusted: boolean;
    default_version: string | null;
  }>(
    `SELECT v.name, v.version, v.trusted, a.default_version
       FROM pg_available_extension_versions v
       JOIN pg_available_extensions a USING (name)`,
  );
  const out: Record<string, ExtensionOffer> = {};
  for (const row of res.rows) {
    const offer = out[row.name] ?? {
      versions: [],
      default_version: row.default_version,
      trusted: false,
    };
    out[row.name] = offer;
    offer.versions.push(row.version);
    // Trust is per version; an extension counts as trusted when its default version is.
    if (row.version === row.default_version) offer.trusted = row.trusted;
  }
  for (const offer of Object.values(out)) offer.versions.sort(compareVersionText);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** "1.10" after "1.9": numeric runs compare as numbers. */
function compareVersionText(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** Quoted SQL identifier. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Creates `extensions` (name -> version) with CASCADE (required extensions come along at their
 * default versions) in template1 and in the default database of a running cluster.
 */
export async function createExtensions(
  socketDir: string,
  adminPassword: string,
  extensions: Readonly<Record<string, string>>,
): Promise<void> {
  const names = Object.keys(extensions).sort();
  if (names.length === 0) return;
  for (const database of [ADMIN_DATABASE, USER_DATABASE]) {
    await withAdmin(
      socketDir,
      adminPassword,
      async (client) => {
        for (const name of names) {
          const version = extensions[name] as string;
          await client.query(
            `CREATE EXTENSION IF NOT EXISTS ${ident(name)} VERSION ${literal(version)} CASCADE`,
          );
          // IF NOT EXISTS keeps an installed one (plpgsql): it must still be the version asked for.
          const got = await client.query<{ extversion: string }>(
            "SELECT extversion FROM pg_extension WHERE extname = $1",
            [name],
          );
          if (got.rows[0]?.extversion !== version) {
            throw new Error(
              `extension ${name} is at version ${got.rows[0]?.extversion ?? "none"} in ${database}, not ${version}`,
            );
          }
        }
      },
      database,
    );
  }
}
