// How the files reach the service: upload only what is missing (docs/api.md, "Blobs"). The CLI
// asks `POST /v1/blobs/missing` which of the project's digests this user has not sent yet, PUTs
// those (a few at a time), and sends the whole tree as `{ etag }`: a rerun of an unchanged project
// uploads nothing and its create is a few hundred bytes per file. A service without the blobs API
// (404) gets every file inline, as before.
import { createHash } from "node:crypto";
import type { ApiClient } from "./client.ts";
import { RequestError } from "./exit-codes.ts";
import { type Project, treeOf } from "./project.ts";

/** Uploads in flight at once: enough to hide round trips, few enough not to crowd the service. */
const PARALLEL_UPLOADS = 4;

export interface Upload {
  tree: Record<string, string | { etag: string }>;
  /** Files whose bytes were sent: uploaded as blobs, or inline. */
  sent: number;
  /** Files named by etag whose bytes the service already held for this user. */
  held: number;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export async function uploadTree(client: ApiClient, project: Project): Promise<Upload> {
  const bytes = new Map<string, Uint8Array>();
  const etags = new Map<string, string>();
  const pathOf = new Map<string, string>();
  for (const [path, text] of project.files) {
    const data = new TextEncoder().encode(text);
    const digest = digestOf(data);
    bytes.set(digest, data);
    etags.set(path, digest);
    if (!pathOf.has(digest)) pathOf.set(digest, path);
  }
  let missing: string[];
  try {
    ({ missing } = await client.call<{ missing: string[] }>("POST", "/v1/blobs/missing", {
      digests: [...bytes.keys()],
    }));
  } catch (err) {
    if (err instanceof RequestError && err.status === 404) {
      return { tree: treeOf(project), sent: project.files.size, held: 0 };
    }
    throw err;
  }
  const queue = missing.filter((d) => bytes.has(d));
  const worker = async () => {
    for (let digest = queue.shift(); digest !== undefined; digest = queue.shift()) {
      try {
        await client.upload(`/v1/blobs/${digest}`, bytes.get(digest) as Uint8Array);
      } catch (err) {
        // Name the file, as a create refusal does (e.g. `seed/big.sql: file_too_large: ...`).
        if (!(err instanceof RequestError)) throw err;
        const named = new RequestError(
          `${pathOf.get(digest)}: ${err.code}: ${err.message}`,
          err.status,
          err.code,
          err.exitCode,
        );
        named.details = err.details;
        throw named;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker));
  const missingSet = new Set(missing);
  let sent = 0;
  for (const digest of etags.values()) if (missingSet.has(digest)) sent++;
  const tree = Object.fromEntries([...etags].map(([path, etag]) => [path, { etag }]));
  return { tree, sent, held: project.files.size - sent };
}
