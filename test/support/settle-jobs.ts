// Setup file of the unit project: after each file, wait for the jobs it started to end (see
// settleRunningJobs in test/api/helpers.ts), so no job outlives the file's workerd.
import { afterAll } from "vitest";
import { settleRunningJobs } from "../api/helpers.ts";

afterAll(async () => {
  await settleRunningJobs();
}, 90_000);
