// The per-job cap on stored events. A head that raises 200,000 NOTICEs must not write 200,000 rows
// (nor make a replay send them): log events past `maxLogEvents` are counted instead of stored, and
// the count is written as one summary log event before the next non-log event (a step ending, the
// terminal status), so a reader learns how many lines are missing and where. Each admitted or
// dropped event costs O(1): a counter, no query.
import { EVENT_LIMITS } from "./limits.ts";

export type EventSink<T extends string> = (type: T, data: Record<string, unknown>) => void;

export interface EventCaps {
  maxLogEvents: number;
  maxMessageChars: number;
}

export class EventBudget<T extends string> {
  readonly #caps: EventCaps;
  /** Log events stored so far (read once from storage: a resumed object continues the count). */
  #stored: number | null = null;
  readonly #countStored: () => number;
  /** Log events dropped since the last summary. */
  #pending = 0;
  #droppedTotal = 0;

  constructor(countStored: () => number, caps: EventCaps = EVENT_LIMITS) {
    this.#countStored = countStored;
    this.#caps = caps;
  }

  /** Stores `data` through `sink` unless the log cap is reached; cuts over-long messages. */
  emit(type: T | "log", data: Record<string, unknown>, sink: EventSink<T | "log">): void {
    if (type === "log") {
      this.#stored ??= this.#countStored();
      if (this.#stored >= this.#caps.maxLogEvents) {
        this.#pending++;
        this.#droppedTotal++;
        return;
      }
      this.#stored++;
      sink(type, this.#cut(data));
      return;
    }
    this.flush(sink);
    sink(type, data);
  }

  /** Writes the summary of the log events dropped since the last one, if any. */
  flush(sink: EventSink<T | "log">): void {
    if (this.#pending === 0) return;
    const dropped = this.#pending;
    this.#pending = 0;
    sink("log", {
      level: "warning",
      message: `${dropped} log lines were not stored: a job keeps at most ${this.#caps.maxLogEvents}`,
      dropped,
      dropped_total: this.#droppedTotal,
    });
  }

  #cut(data: Record<string, unknown>): Record<string, unknown> {
    const message = data.message;
    if (typeof message !== "string" || message.length <= this.#caps.maxMessageChars) return data;
    return { ...data, message: message.slice(0, this.#caps.maxMessageChars), truncated: true };
  }
}
