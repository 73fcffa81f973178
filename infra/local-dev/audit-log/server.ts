// The reference audit-log service: `POST /v1/audit` appends a batch of records (deduped by id),
// `GET /v1/audit?job_id=&user_id=&action=&after=&limit=` pages through them in arrival order.
// Bearer-token protected like the other platform services; loopback only.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { AuditBatch, AuditQuery } from "../../../src/clients/contracts/audit-log.ts";
import { bearerMatches, HttpError, listenJson, readJsonBody, sendJson } from "../json-http.ts";
import { type LogSink, serviceLog } from "../service-log.ts";
import { AuditStore } from "./audit-store.ts";

const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface AuditLogOptions {
  port?: number;
  /** SQLite file (created with its directory). */
  dbPath: string;
  token: string;
  /** Where its JSON log lines go (default: warnings and errors to stderr; service-log.ts). */
  log?: LogSink;
}

export interface AuditLogHandle {
  url: string;
  port: number;
  store: AuditStore;
  close(): Promise<void>;
}

function invalid(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): HttpError {
  const issue = error.issues[0];
  return new HttpError(400, "validation_failed", `${issue?.path.join(".")}: ${issue?.message}`);
}

export async function startAuditLog(opts: AuditLogOptions): Promise<AuditLogHandle> {
  mkdirSync(dirname(opts.dbPath), { recursive: true });
  const store = new AuditStore(opts.dbPath);
  const log = serviceLog("audit-log", opts.log);
  let http: Awaited<ReturnType<typeof listenJson>>;
  try {
    http = await listenJson(
      opts.port ?? 0,
      async (req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const route = `${req.method} ${url.pathname}`;
        if (route === "GET /healthz")
          return sendJson(res, 200, { status: "ok", service: "audit-log" });
        if (!bearerMatches(req, opts.token)) {
          throw new HttpError(401, "unauthorized", "missing or wrong bearer token");
        }
        if (route === "POST /v1/audit") {
          const parsed = AuditBatch.safeParse(await readJsonBody(req, MAX_BODY_BYTES));
          if (!parsed.success) throw invalid(parsed.error);
          const received = parsed.data.records.length;
          const added = store.append(parsed.data.records);
          log.info("audit_appended", { received, added });
          return sendJson(res, 200, { received, added });
        }
        if (route === "GET /v1/audit") {
          const parsed = AuditQuery.safeParse(Object.fromEntries(url.searchParams));
          if (!parsed.success) throw invalid(parsed.error);
          const records = store.query(parsed.data);
          return sendJson(res, 200, {
            records,
            next_after: records.at(-1)?.seq ?? parsed.data.after,
          });
        }
        throw new HttpError(404, "not_found", `no route ${route}`);
      },
      log,
    );
  } catch (err) {
    store.close();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${http.port}`,
    port: http.port,
    store,
    async close() {
      await http.close();
      store.close();
    },
  };
}
