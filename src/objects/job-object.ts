// JobObject: one Durable Object per job (placeholder until the jobs issue lands).
import { DurableObject } from "cloudflare:workers";

export class JobObject extends DurableObject<Env> {}
