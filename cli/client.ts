// HTTP client of the jobs API for the CLI: base URL, gateway token and user from the flags or the
// environment. A refused connection or a 5xx becomes UnreachableError (exit 4); a 4xx becomes a
// RequestError carrying the service's `{ error: { code, message } }`.
import { RequestError, UnreachableError } from "./exit-codes.ts";

export interface Connection {
  url: string;
  token: string;
  user: string;
}

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const DEFAULT_TOKEN = "dev-gateway-token";

export interface ErrorBody {
  error: { code: string; message: string; [key: string]: unknown };
}

export class ApiClient {
  readonly conn: Connection;
  constructor(conn: Connection) {
    this.conn = conn;
  }

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.send<T>(
      method,
      path,
      body === undefined ? undefined : { type: "application/json", bytes: JSON.stringify(body) },
      signal,
    );
  }

  /** A raw body (a blob upload): Node's fetch sends its Content-Length. */
  async upload<T>(path: string, bytes: Uint8Array): Promise<T> {
    return this.send<T>("PUT", path, { type: "application/octet-stream", bytes });
  }

  private async send<T>(
    method: string,
    path: string,
    body?: { type: string; bytes: string | Uint8Array },
    signal?: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.conn.token}`,
      "x-user-id": this.conn.user,
    };
    if (body !== undefined) headers["content-type"] = body.type;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.conn.url), {
        method,
        headers,
        ...(body !== undefined ? { body: body.bytes } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new UnreachableError(
        `cannot reach sql-runner at ${this.conn.url} (${cause}); is \`npm start\` running?`,
      );
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // not JSON: reported below
    }
    if (res.status >= 500) {
      const detail = errorOf(parsed);
      throw new UnreachableError(
        `sql-runner answered ${res.status}${detail ? ` ${detail.code}: ${detail.message}` : ""}`,
      );
    }
    if (res.status >= 400) {
      const detail = errorOf(parsed) ?? { code: "http_error", message: text.slice(0, 200) };
      const err = new RequestError(detail.message, res.status, detail.code);
      err.details = detail;
      throw err;
    }
    if (parsed === null && text !== "") {
      throw new UnreachableError(`sql-runner answered ${res.status} with a body that is not JSON`);
    }
    return parsed as T;
  }
}

function errorOf(body: unknown): ErrorBody["error"] | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const e = (body as ErrorBody).error;
  return typeof e?.code === "string" && typeof e.message === "string" ? e : null;
}
