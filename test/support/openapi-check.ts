// Checks real responses of the Worker against its own OpenAPI document (GET /v1/openapi.json):
// the status must be documented for the operation, the content type must be one it declares,
// and the body must validate (ajv, JSON Schema 2020-12) against that schema, with the document's
// components added to ajv so that `$ref`s resolve. Used by test/api/openapi-responses.unit.test.ts
// (error statuses) and test/api/openapi-responses.integration.test.ts (completed jobs, live).
import { exports } from "cloudflare:workers";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

type Json = Record<string, unknown>;
interface MediaType {
  schema?: Json;
}
interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

// Component schemas get absolute ids, so a component's own `#/$defs/...` stays inside it.
const BASE = "https://sql-runner.invalid/openapi";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === "$ref" && typeof v === "string" && v.startsWith("#/components/")
        ? `${BASE}${v.slice(1)}`
        : rebase(v);
  }
  return out;
}

export class OpenApiCheck {
  /** `METHOD path status` of every response checked so far. */
  readonly seen = new Set<string>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  readonly doc: OpenApiDoc;

  constructor(doc: OpenApiDoc) {
    this.doc = doc;
    addFormats(this.ajv);
    for (const [name, s] of Object.entries(doc.components.schemas)) {
      this.ajv.addSchema({ ...(rebase(s) as Json), $id: `${BASE}/components/schemas/${name}` });
    }
  }

  static async load(): Promise<OpenApiCheck> {
    const res = await exports.default.fetch("http://sql-runner.test/v1/openapi.json");
    if (res.status !== 200) throw new Error(`openapi.json: ${res.status}`);
    return new OpenApiCheck(await res.json<OpenApiDoc>());
  }

  /** Every documented operation as `METHOD path`. */
  operations(): string[] {
    const out: string[] = [];
    for (const [path, item] of Object.entries(this.doc.paths)) {
      for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`);
    }
    return out.sort();
  }

  operation(method: string, path: string): Operation | undefined {
    return this.doc.paths[path]?.[method.toLowerCase()];
  }

  /**
   * Throws unless `res` is a documented answer of `method path` (a path template such as
   * `/v1/jobs/{job_id}`). Returns the parsed body (JSON, text, or null when there is none).
   * A `text/event-stream` body is not read (it lasts as long as the job): its type is checked.
   */
  async check(method: string, path: string, res: Response): Promise<unknown> {
    const where = `${method} ${path} -> ${res.status}`;
    const op = this.operation(method, path);
    if (!op) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    const declared = op.responses[String(res.status)];
    const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!declared) {
      const text = res.status === 101 ? "" : await res.text();
      throw new Error(`${where} is not documented (${type}): ${text.slice(0, 300)}`);
    }
    this.seen.add(`${method} ${path} ${res.status}`);
    if (res.status === 101) return null;
    if (!declared.content) {
      const text = await res.text();
      if (text !== "") throw new Error(`${where} documents no body but answered ${text}`);
      return null;
    }
    const media = declared.content[type];
    if (!media) {
      await res.body?.cancel();
      const types = Object.keys(declared.content).join(", ");
      throw new Error(`${where}: content-type ${type || "(none)"} is not one of ${types}`);
    }
    if (type === "text/event-stream") {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    const body: unknown = type.endsWith("json") ? JSON.parse(text) : text;
    if (media.schema) this.validate(`${where} ${type}`, media.schema, body);
    return body;
  }

  private validate(key: string, schema: Json, body: unknown): void {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(rebase(schema) as Json);
      this.compiled.set(key, fn);
    }
    if (!fn(body)) {
      const errors = this.ajv.errorsText(fn.errors, { separator: "; " });
      throw new Error(
        `${key}: body does not match the document: ${errors}\n${JSON.stringify(body).slice(0, 600)}`,
      );
    }
  }
}
