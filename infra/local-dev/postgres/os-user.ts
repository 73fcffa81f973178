// PostgreSQL refuses to run as root. As root we run every server as a dedicated system user
// (created on first use); as anyone else we run servers as ourselves.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PG_OS_USER = "sqlrunner-pg";

/** uid/gid to spawn servers with, or null to run them as the current user. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

let cached: Promise<RunAs | null> | undefined;

export function ensureRunAsUser(name = PG_OS_USER): Promise<RunAs | null> {
  cached ??= resolve(name);
  return cached;
}

async function resolve(name: string): Promise<RunAs | null> {
  if (process.getuid?.() !== 0) return null;
  const existing = await lookup(name);
  if (existing) return existing;
  try {
    await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  } catch (err) {
    // Exit code 9: created meanwhile by a concurrent process; anything else is fatal below.
    if ((err as { code?: unknown }).code !== 9) throw err;
  }
  const created = await lookup(name);
  if (!created) throw new Error(`could not create OS user ${name}`);
  return created;
}

async function lookup(name: string): Promise<RunAs | null> {
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid), name };
  }
  return null;
}

/** A minimal environment for server processes (the platform's own variables stay out). */
export function serverEnv(): NodeJS.ProcessEnv {
  // Cast: the project's ProcessEnv type also lists the Worker's bindings, which servers never see.
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C",
    TZ: "UTC",
  } as unknown as NodeJS.ProcessEnv;
}
