// What a job keeps for its lifecycle beside the job row: the user's plan, its webhook and how long
// its layers are pinned. One row in its own table (a JobObject migration), so lifecycle features
// do not widen the job record.
import { WEBHOOK_EVENTS, type WebhookSpec } from "../jobs/job-input.ts";
import type { WebhookSubscription } from "./webhooks/dispatch.ts";

export const LIFECYCLE_SCHEMA = `CREATE TABLE job_lifecycle (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     plan TEXT NOT NULL,
     webhook TEXT,
     layers_pinned_until INTEGER
   )`;

export interface LifecycleRow {
  plan: string;
  webhook: WebhookSubscription | null;
  layers_pinned_until: number | null;
}

export class JobLifecycle {
  readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Written once, right after the job row (a repeated create changes nothing). */
  init(plan: string, webhook: WebhookSpec | undefined): void {
    const subscription: WebhookSubscription | null = webhook
      ? { url: webhook.url, events: webhook.events ?? [...WEBHOOK_EVENTS] }
      : null;
    this.sql.exec(
      `INSERT INTO job_lifecycle (id, plan, webhook) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`,
      plan,
      subscription ? JSON.stringify(subscription) : null,
    );
  }

  get(): LifecycleRow {
    const row = this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM job_lifecycle WHERE id = 1")
      .toArray()[0];
    if (!row) return { plan: "free", webhook: null, layers_pinned_until: null };
    return {
      plan: String(row.plan),
      webhook:
        typeof row.webhook === "string" ? (JSON.parse(row.webhook) as WebhookSubscription) : null,
      layers_pinned_until: row.layers_pinned_until == null ? null : Number(row.layers_pinned_until),
    };
  }

  /** The plan the gateway stated last (an upgraded user extends within the new plan). */
  setPlan(plan: string): void {
    this.sql.exec("UPDATE job_lifecycle SET plan = ? WHERE id = 1", plan);
  }

  pinLayers(until: number): void {
    this.sql.exec(
      "UPDATE job_lifecycle SET layers_pinned_until = MAX(COALESCE(layers_pinned_until, 0), ?) WHERE id = 1",
      until,
    );
  }
}
