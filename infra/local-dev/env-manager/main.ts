// Runs env-manager alone: `node infra/local-dev/env-manager/main.ts` (port from ENV_MANAGER_PORT,
// default 8788 as in wrangler.toml). platform.ts starts it together with snapshot-cache.
// Every line it prints, the banner included, is a JSON log line (service-log.ts).
import { serviceLog } from "../service-log.ts";
import { startEnvManager } from "./server.ts";

const sink = (line: string) => console.log(line);
const handle = await startEnvManager({
  port: Number(process.env.ENV_MANAGER_PORT ?? 8788),
  log: sink,
});
serviceLog("env-manager", sink).info("listening", {
  url: handle.url,
  engine: handle.manager.binaries.engine,
});
const stop = async () => {
  await handle.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
