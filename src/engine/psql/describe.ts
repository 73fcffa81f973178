// psql's catalog commands (`\d` family): placeholder until the catalog queries land.
import type { MetaUnit } from "../units.ts";
import type { PsqlSession } from "./session.ts";

export async function describe(_s: PsqlSession, _u: MetaUnit): Promise<boolean> {
  return false;
}
