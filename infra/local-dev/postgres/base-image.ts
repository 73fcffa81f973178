// Base images: one initialized, privilege-configured, cleanly stopped cluster per (engine version,
// settings digest, extensions), packed like a layer and made once (atomic rename; a concurrent
// maker loses). A base carries both layer formats: `data.tar` (format 1) and `manifest.json` + its
// own `chunks/` (format 2), so an env-manager of either format boots from it.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chown, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { extensionsKey } from "../../../src/clients/contracts/engines.ts";
import { ChunkStore } from "../layers/chunk-store.ts";
import { type Manifest, parseManifest } from "../layers/manifest.ts";
import { packFormat2 } from "../layers/pack-dir.ts";
import { MANIFEST_FILE } from "../layers/writer.ts";
import { setUserPassword, withAdmin } from "./admin.ts";
import type { PgBinaries } from "./binaries.ts";
import { createExtensions } from "./extensions.ts";
import { type RunAs, serverEnv } from "./os-user.ts";
import { packDataDir } from "./pack.ts";
import { startPostgres } from "./process.ts";
import {
  ADMIN_ROLE,
  INITDB_ARGS,
  PG_HBA,
  postgresqlConf,
  settingsDigest,
  USER_DATABASE,
  USER_ROLE,
  USER_SETTABLE_SUPERUSER_PARAMETERS,
  userRoleAttributes,
} from "./settings.ts";
import { alignPublicSchema } from "./version-gates.ts";
import { pruneRecycledWal } from "./wal.ts";

const run = promisify(execFile);

/** A packed, cleanly stopped cluster an instance can boot from (a base image or a layer). */
export interface Image {
  dir: string;
  /** Format 1: the tar archive (null for a format-2 layer). */
  archive: string | null;
  /** Format 2: the manifest and the store holding its chunks (null for a format-1 layer). */
  manifest: Manifest | null;
  store: ChunkStore | null;
  adminPassword: string;
}

export interface BaseImageOptions {
  binaries: PgBinaries;
  runAs: RunAs | null;
  /** Where base images are stored (`<data root>/bases`). */
  basesDir: string;
  /** Scratch space for the temporary cluster (tmpfs is fastest). */
  workDir: string;
  /** Extensions to create in template1 and the default database (name -> version). */
  extensions?: Readonly<Record<string, string>>;
}

export const ADMIN_SECRET_FILE = "admin.secret";

/** `__v2`: bases that also carry format 2 (older base directories hold `data.tar` only). */
export function baseKey(
  engine: string,
  digest: string,
  extensions: Readonly<Record<string, string>> = {},
): string {
  const ext = extensionsKey(extensions);
  if (ext === "") return `${engine}__${digest}__v2`;
  return `${engine}__${digest}__x-${createHash("sha256").update(ext).digest("hex").slice(0, 16)}__v2`;
}

const making = new Map<string, Promise<Image>>();

/** Returns the base image for the current engine and settings, creating it on first use. */
export function ensureBaseImage(opts: BaseImageOptions): Promise<Image> {
  const key = baseKey(opts.binaries.engine, settingsDigest(opts.binaries.major), opts.extensions);
  let pending = making.get(key);
  if (!pending) {
    pending = loadOrMake(opts, key);
    making.set(key, pending);
    pending.catch(() => making.delete(key));
  }
  return pending;
}

/** Reads a base image (both formats) or a format-1 layer (`data.tar` only). */
export async function readImage(dir: string, chunks?: ChunkStore): Promise<Image> {
  const adminPassword = (await readFile(join(dir, ADMIN_SECRET_FILE), "utf8")).trim();
  let manifest: Manifest | null = null;
  try {
    manifest = parseManifest(await readFile(join(dir, MANIFEST_FILE), "utf8"));
  } catch {
    // a format-1 layer
  }
  return {
    dir,
    archive: join(dir, "data.tar"),
    manifest,
    store: manifest ? (chunks ?? new ChunkStore(join(dir, "chunks"))) : null,
    adminPassword,
  };
}

async function loadOrMake(opts: BaseImageOptions, key: string): Promise<Image> {
  const dir = join(opts.basesDir, key);
  try {
    return await readImage(dir);
  } catch {
    // not made yet
  }
  await mkdir(opts.basesDir, { recursive: true });
  const tmp = join(opts.basesDir, `.tmp-${randomBytes(6).toString("hex")}`);
  const scratch = join(opts.workDir, `base-${randomBytes(6).toString("hex")}`);
  try {
    const adminPassword = randomBytes(24).toString("base64url");
    await initCluster(opts, scratch, adminPassword);
    await pruneRecycledWal(join(scratch, "data"));
    await mkdir(tmp, { mode: 0o700 });
    const packed = await packDataDir(join(scratch, "data"), join(tmp, "data.tar"));
    const f2 = await packFormat2(
      join(scratch, "data"),
      join(scratch, "staging"),
      new ChunkStore(join(tmp, "chunks")),
    );
    await writeFile(join(tmp, MANIFEST_FILE), f2.hashed.encoded);
    await writeFile(join(tmp, ADMIN_SECRET_FILE), `${adminPassword}\n`, { mode: 0o600 });
    await writeFile(
      join(tmp, "base.json"),
      `${JSON.stringify({
        engine: opts.binaries.engine,
        settings_digest: settingsDigest(opts.binaries.major),
        extensions: opts.extensions ?? {},
        size_bytes: packed.sizeBytes,
        sha256: packed.sha256,
        created_at: new Date().toISOString(),
      })}\n`,
    );
    try {
      await rename(tmp, dir);
    } catch {
      // Another process published the same base first: use theirs.
      await rm(tmp, { recursive: true, force: true });
    }
    return await readImage(dir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function initCluster(opts: BaseImageOptions, scratch: string, adminPassword: string) {
  const dataDir = join(scratch, "data");
  const runDir = join(scratch, "run");
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const pwfile = join(scratch, "pwfile");
  await writeFile(pwfile, `${adminPassword}\n`, { mode: 0o600 });
  if (opts.runAs) {
    for (const p of [scratch, runDir, pwfile]) await chown(p, opts.runAs.uid, opts.runAs.gid);
  }
  await run(
    join(opts.binaries.binDir, "initdb"),
    [
      "-D",
      dataDir,
      `--username=${ADMIN_ROLE}`,
      `--pwfile=${pwfile}`,
      "--no-sync",
      "--no-instructions",
      ...INITDB_ARGS,
    ],
    {
      env: serverEnv(),
      ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
    },
  );
  await rm(pwfile);
  await writeFile(join(dataDir, "postgresql.conf"), postgresqlConf(opts.binaries.major));
  await writeFile(join(dataDir, "pg_hba.conf"), PG_HBA);
  if (opts.runAs) {
    for (const f of ["postgresql.conf", "pg_hba.conf"]) {
      await chown(join(dataDir, f), opts.runAs.uid, opts.runAs.gid);
    }
  }
  const proc = await startPostgres({
    binaries: opts.binaries,
    runAs: opts.runAs,
    dataDir,
    socketDir: runDir,
    logFile: join(scratch, "postgres.log"),
  });
  try {
    await withAdmin(runDir, adminPassword, async (client) => {
      await client.query(`CREATE ROLE "${USER_ROLE}" ${userRoleAttributes(opts.binaries.major)}`);
      await setUserPassword(client, USER_ROLE, randomBytes(24).toString("base64url"));
      await client.query(`ALTER DATABASE "${USER_DATABASE}" OWNER TO "${USER_ROLE}"`);
      // GRANT SET ON PARAMETER exists from PostgreSQL 15 on (see sessionSetupSql for 14).
      for (const param of opts.binaries.major >= 15 ? USER_SETTABLE_SUPERUSER_PARAMETERS : []) {
        await client.query(`GRANT SET ON PARAMETER ${param} TO "${USER_ROLE}"`);
      }
      await client.query("CHECKPOINT");
    });
    await alignPublicSchema(runDir, adminPassword, opts.binaries.major);
    await createExtensions(runDir, adminPassword, opts.extensions ?? {});
  } finally {
    await proc.stop();
  }
}
