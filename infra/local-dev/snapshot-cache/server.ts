// Starts the local snapshot-cache: a loopback-only HTTP service over the layer index, answering only
// the platform token, with a periodic GC. Used by infra/local-dev/platform.ts, test/global-setup.ts,
// the node tests and the CLI (main.ts).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { GcResponse } from "../../../src/clients/contracts/snapshot-cache.ts";
import { parseTraceparent } from "../../../src/clients/contracts/trace-context.ts";
import { AppError } from "../../../src/errors.ts";
import { errorFields, type LogSink, noteResponseCode, serviceLog } from "../service-log.ts";
import { routeTemplate, ServiceTelemetry } from "../telemetry/service-telemetry.ts";
import { collectGarbage, type GcDeps, recoverFromCrash } from "./gc.ts";
import { errorReply, isAuthorized, type Reply, send } from "./http.ts";
import { envManagerInUse, type InUseSource, noInUseSource } from "./in-use.ts";
import { IndexStore } from "./index-store.ts";
import { LayerStorage } from "./layer-storage.ts";
import { buildRouter } from "./routes.ts";

export type SnapshotCacheOptions = {
  /** 0 or absent: any free port. */
  port?: number;
  /** Platform data root; layers live in `<dataDir>/layers/`, the index in `<dataDir>/snapshot-cache/`. */
  dataDir: string;
  /** The platform token callers must present as `Authorization: Bearer <token>`. */
  token: string;
  /** env-manager base URL, asked for `GET /v1/layers/in-use` before GC deletes anything. */
  envManagerUrl?: string;
  /** Used instead of envManagerUrl (tests). With neither, GC deletes nothing. */
  inUse?: InUseSource;
  /** LRU GC keeps the indexed layers' total size_bytes under this. Default 10 GiB. */
  byteBudget?: number;
  /** Period of the background GC; 0 disables it. Default 60 s. */
  gcIntervalMs?: number;
  /** LRU spares layers used within this window. Default 60 s. */
  recentUseGraceMs?: number;
  /** Unindexed and `.tmp-*` directories younger than this are left alone. Default 10 min. */
  leftoverGraceMs?: number;
  /** Clock in epoch ms (tests move it). Default Date.now. */
  now?: () => number;
  /** Where its JSON log lines go (default: warnings and errors to stderr; service-log.ts). */
  log?: LogSink;
  /** Telemetry exporter base URL: spans of requests carrying a traceparent go there. */
  telemetryUrl?: string;
};

export type SnapshotCacheHandle = {
  url: string;
  port: number;
  /** Runs GC now (as `POST /v1/gc` does). */
  gc(): Promise<GcResponse>;
  close(): Promise<void>;
};

export const DEFAULT_BYTE_BUDGET = 10 * 1024 ** 3;

export async function startSnapshotCache(opts: SnapshotCacheOptions): Promise<SnapshotCacheHandle> {
  const now = opts.now ?? Date.now;
  const log = serviceLog("snapshot-cache", opts.log);
  const store = new IndexStore(join(opts.dataDir, "snapshot-cache", "index.sqlite"));
  const storage = new LayerStorage(opts.dataDir);
  const inUse =
    opts.inUse ??
    (opts.envManagerUrl ? envManagerInUse(opts.envManagerUrl, opts.token) : noInUseSource);
  const deps: GcDeps = {
    store,
    storage,
    inUse,
    now,
    byteBudget: opts.byteBudget ?? DEFAULT_BYTE_BUDGET,
    recentUseGraceMs: opts.recentUseGraceMs ?? 60_000,
    leftoverGraceMs: opts.leftoverGraceMs ?? 10 * 60_000,
    deleting: new Set(),
  };

  const recovered = await recoverFromCrash(deps);
  if (recovered.droppedRows || recovered.removedDirs) {
    log.warn("crash_recovered", {
      dropped_rows: recovered.droppedRows,
      removed_dirs: recovered.removedDirs,
    });
  }

  // GC runs one at a time; a request during a run waits for it and then runs again.
  let chain: Promise<unknown> = Promise.resolve();
  const runGc = (): Promise<GcResponse> => {
    const run = chain.then(() => collectGarbage(deps));
    chain = run.catch(() => {});
    return run;
  };

  const router = buildRouter({
    store,
    storage,
    now,
    byteBudget: deps.byteBudget,
    deleting: deps.deleting,
    runGc,
  });
  const telemetry = new ServiceTelemetry({
    service: "snapshot-cache",
    token: opts.token,
    telemetryUrl: opts.telemetryUrl,
    log: opts.log,
  })
    .gauge("snapshot_cache_layers", "Layers in the index.", () => store.count())
    .gauge("snapshot_cache_layer_bytes", "Bytes the indexed layers take.", () => store.totalBytes())
    .gauge(
      "snapshot_cache_byte_budget",
      "The byte budget GC keeps the layers under.",
      () => deps.byteBudget,
    );
  const server = createServer(
    telemetry.wrap((req, res) => {
      if (!isAuthorized(req, opts.token)) {
        req.resume();
        res.setHeader("www-authenticate", 'Bearer realm="sql-runner-platform"');
        noteResponseCode(res, "unauthorized");
        send(
          res,
          errorReply(
            new AppError(401, "unauthorized", "authorization: missing or wrong platform token"),
          ),
        );
        return;
      }
      const reply = (r: Reply) => {
        // A body left unread (an early error, a 413) must not be parsed as the next request.
        if (!req.complete) {
          res.setHeader("connection", "close");
          req.resume();
        }
        send(res, r);
      };
      router.handle(req).then(reply, (err: unknown) => {
        const errorId = err instanceof AppError ? undefined : randomUUID();
        const r = errorReply(err, errorId);
        const code = err instanceof AppError ? err.code : "internal";
        noteResponseCode(res, code);
        if (errorId) {
          log.error("internal_error", {
            error_id: errorId,
            trace_id: parseTraceparent(req.headers.traceparent as string | undefined)?.traceId,
            method: req.method,
            route: routeTemplate(new URL(req.url ?? "/", "http://localhost").pathname),
            status: r.status,
            code,
            ...errorFields(err),
          });
        }
        reply(r);
      });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const backgroundGc = () => {
    runGc().then(
      (r) => {
        if (r.deleted.length) log.info("gc_deleted", { deleted: r.deleted.length });
      },
      (err: unknown) => log.warn("gc_skipped", errorFields(err)),
    );
  };
  const interval = opts.gcIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(backgroundGc, interval) : undefined;
  timer?.unref();
  // The first run also sweeps unindexed layer directories a crash left behind (asking env-manager).
  const firstRun = interval > 0 ? setTimeout(backgroundGc, Math.min(interval, 5000)) : undefined;
  firstRun?.unref();

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    gc: runGc,
    close() {
      closed ??= (async () => {
        if (timer) clearInterval(timer);
        if (firstRun) clearTimeout(firstRun);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await chain;
        store.close();
        await telemetry.flush();
      })();
      return closed;
    },
  };
}
