// One authenticated, idle backend session kept ready per instance, so the proxy can hand a client
// a session at once instead of waiting for PostgreSQL's fork and SCRAM exchange (see below for
// when the next one is opened). Also learns, at the first session, the names of the
// instance's user types (pg_type OIDs >= 16384 in the default database), which env-manager hands
// out with the connection so the engine needs no catalog round trip for them. Each ready session
// builds the relation-cache entries of the user's relations before it is handed out (prewarm.ts).
//
// A backend takes its role's and database's settings (ALTER ROLE/DATABASE ... SET) and runs the
// login event triggers when it starts, so a ready session opened while a user's session could
// still change them may be stale: it is opened only when no user session is active on the
// instance (at boot, and when the last one closes), and it is discarded, not handed out, when a
// user session sent anything after it started opening.
import { SESSION_APPLICATION_NAME } from "../../../src/clients/contracts/pg-connection.ts";
import { RELATION_CACHE_WARM_SQL } from "../postgres/prewarm.ts";
import { USER_DATABASE, USER_ROLE } from "../postgres/settings.ts";
import {
  type BackendSession,
  openBackend,
  type StartupParams,
  simpleQuery,
} from "./backend-session.ts";
import type { Instance } from "./instance.ts";

/** What the Worker's driver sends in its startup message (src/clients/pg.ts). */
export const DEFAULT_PARAMS: StartupParams = new Map([
  ["user", USER_ROLE],
  ["database", USER_DATABASE],
  ["application_name", SESSION_APPLICATION_NAME],
  ["client_encoding", "UTF8"],
]);

/** More user types than this: no map (the engine looks the few it meets up itself). */
export const MAX_TYPE_NAMES = 2000;
const FIRST_USER_OID = 16384;

const TYPE_NAMES_SQL = `SELECT oid::text, typname::text FROM pg_catalog.pg_type WHERE oid >= ${FIRST_USER_OID} ORDER BY oid LIMIT ${MAX_TYPE_NAMES + 1}`;

function sameParams(a: StartupParams, b: StartupParams): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** User sessions of one instance, as the proxy sees them. */
interface UserActivity {
  /** Sessions handed to clients and not yet closed. */
  active: number;
  /** Bumped by every message a user session sends to its backend. */
  generation: number;
}

export class ReadySessions {
  private readonly ready = new WeakMap<
    Instance,
    { opening: Promise<BackendSession | null>; generation: number }
  >();
  private readonly types = new WeakMap<Instance, Record<string, string> | null>();
  private readonly activity = new WeakMap<Instance, UserActivity>();
  handedOff = 0;
  openedOnDemand = 0;

  /** Opens the instance's ready session (and learns its type names the first time). */
  prestart(inst: Instance): Promise<void> {
    const opening = this.open(inst);
    this.ready.set(inst, { opening, generation: this.activityOf(inst).generation });
    return opening.then(() => {});
  }

  /** A user session of `inst` sent a message to its backend (the proxy calls this). */
  touched(inst: Instance): void {
    this.activityOf(inst).generation++;
  }

  /** A session handed out by take() closed: with none left, a ready session is opened. */
  released(inst: Instance): void {
    const a = this.activityOf(inst);
    a.active = Math.max(0, a.active - 1);
    if (a.active === 0 && !this.ready.has(inst) && inst.status === "ready")
      void this.prestart(inst);
  }

  private activityOf(inst: Instance): UserActivity {
    let a = this.activity.get(inst);
    if (!a) {
      a = { active: 0, generation: 0 };
      this.activity.set(inst, a);
    }
    return a;
  }

  /** The instance's user type names (oid -> typname), once known. */
  typeNames(inst: Instance): Record<string, string> | undefined {
    return this.types.get(inst) ?? undefined;
  }

  /**
   * An authenticated session with these startup parameters for a client: the ready one when they
   * match, it is alive and no user session sent anything since it started opening; otherwise a
   * new one. The caller reports the session's end with released().
   */
  async take(inst: Instance, params: StartupParams): Promise<BackendSession> {
    const a = this.activityOf(inst);
    const pending = this.ready.get(inst);
    if (pending && sameParams(params, DEFAULT_PARAMS)) {
      this.ready.delete(inst);
      const session = await pending.opening;
      const fresh = pending.generation === a.generation;
      if (session && !session.socket.destroyed && inst.status === "ready" && fresh) {
        session.socket.removeAllListeners("data");
        session.socket.removeAllListeners("end");
        this.handedOff++;
        a.active++;
        return session;
      }
      if (session && !fresh) session.socket.destroy();
    }
    this.openedOnDemand++;
    const session = await openBackend(inst.socketDir, params, inst.password);
    a.active++;
    return session;
  }

  private async open(inst: Instance): Promise<BackendSession | null> {
    if (inst.status !== "ready") return null;
    try {
      const session = await openBackend(inst.socketDir, DEFAULT_PARAMS, inst.password);
      if (!this.types.has(inst)) {
        const rows = await simpleQuery(session, TYPE_NAMES_SQL).catch(() => null);
        this.types.set(
          inst,
          rows && rows.length <= MAX_TYPE_NAMES ? Object.fromEntries(rows) : null,
        );
      }
      await simpleQuery(session, RELATION_CACHE_WARM_SQL).catch(() => null);
      // An idle session gets nothing but its end (the server stopped for a snapshot, killed): then
      // it is not handed out; take() sees the destroyed socket and opens a new one.
      session.socket.on("data", () => session.socket.destroy());
      session.socket.once("end", () => session.socket.destroy());
      return session;
    } catch {
      return null;
    }
  }
}
