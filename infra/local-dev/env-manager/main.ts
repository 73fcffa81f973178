// Runs env-manager alone: `node infra/local-dev/env-manager/main.ts` (port from ENV_MANAGER_PORT,
// default 8788 as in wrangler.toml). platform.ts starts it together with snapshot-cache.
import { startEnvManager } from "./server.ts";

const handle = await startEnvManager({ port: Number(process.env.ENV_MANAGER_PORT ?? 8788) });
console.log(`env-manager listening on ${handle.url} (engine ${handle.manager.binaries.engine})`);
const stop = async () => {
  await handle.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
