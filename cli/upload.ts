// How the files reach the service. The jobs API takes the tree inline; a file the service already
// stores can be named by `{ etag }` instead (docs/api.md, "Content by etag"). Without a blobs API
// to ask which etags are stored, the CLI sends every file inline.
import type { ApiClient } from "./client.ts";
import { type Project, treeOf } from "./project.ts";

export async function uploadTree(
  _client: ApiClient,
  project: Project,
): Promise<Record<string, string | { etag: string }>> {
  return treeOf(project);
}
