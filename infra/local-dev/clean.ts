// `npm run clean`: empties the local data of `npm start` and the tests: the platform's data root
// (layers, base images, indexes), its tmpfs work folder (instances), and wrangler's local state
// (Durable Objects, R2). Stop `npm start` first: a running stack would write into them again.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { defaultDataDir, defaultWorkDir, REPO_ROOT } from "./env-manager/config.ts";

function sizeOf(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}

const dataDir = defaultDataDir();
const targets = [dataDir, defaultWorkDir(dataDir), join(REPO_ROOT, ".wrangler", "state")];
for (const path of targets) {
  if (!existsSync(path)) continue;
  const bytes = sizeOf(path);
  rmSync(path, { recursive: true, force: true });
  console.log(`removed ${path} (${(bytes / 1048576).toFixed(1)} MB)`);
}
console.log("local data is empty");
