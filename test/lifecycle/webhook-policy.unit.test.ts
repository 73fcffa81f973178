import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.ts";
import {
  nextAttemptAt,
  retryAfterMs,
  verdictOf,
  WEBHOOK_RETRY,
} from "../../src/lifecycle/webhooks/retry.ts";
import { checkWebhookUrl } from "../../src/lifecycle/webhooks/target.ts";

function refusal(url: string, allowLocal = false): string {
  try {
    checkWebhookUrl(url, allowLocal);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(422);
    expect((err as AppError).code).toBe("invalid_webhook");
    return (err as AppError).message;
  }
  return "accepted";
}

describe("webhook URLs (SSRF guard)", () => {
  it("accepts https on public hosts", () => {
    expect(refusal("https://hooks.example.com/sql-runner")).toBe("accepted");
    expect(refusal("https://203.0.113.7/x")).toBe("accepted");
  });

  it.each([
    ["http://hooks.example.com/", "only https: URLs are allowed"],
    ["https://127.0.0.1/", "127.0.0.1 is not a public host"],
    ["https://10.1.2.3/", "10.1.2.3 is not a public host"],
    ["https://192.168.0.10/", "192.168.0.10 is not a public host"],
    ["https://172.20.0.1/", "172.20.0.1 is not a public host"],
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public host"],
    ["https://[::1]/", "[::1] is not a public host"],
    ["https://localhost/", "localhost is not a public host"],
    ["https://db.internal/", "db.internal is not a public host"],
    ["https://2130706433/", "127.0.0.1 is not a public host"],
    ["https://user:pw@hooks.example.com/", "the URL must not carry credentials"],
    ["ftp://hooks.example.com/", "only https: URLs are allowed"],
    ["not a url", "not a URL"],
  ])("refuses %s", (url, message) => {
    expect(refusal(url)).toBe(message);
  });

  it("allows loopback over http only when the deployment says so", () => {
    expect(refusal("http://127.0.0.1:9999/hook")).toBe("only https: URLs are allowed");
    expect(refusal("http://127.0.0.1:9999/hook", true)).toBe("accepted");
    expect(refusal("http://localhost:9999/hook", true)).toBe("accepted");
    expect(refusal("http://10.0.0.1/hook", true)).toBe("only https: URLs are allowed");
  });
});

describe("webhook retries", () => {
  it("retries timeouts, network errors, 408, 429 and 5xx; ends on 2xx and other 4xx", () => {
    expect([null, 408, 429, 500, 503].map(verdictOf)).toEqual(Array(5).fill("retry"));
    expect([200, 204].map(verdictOf)).toEqual(["delivered", "delivered"]);
    expect([400, 404, 410, 301].map(verdictOf)).toEqual(Array(4).fill("failed"));
  });

  it("backs off exponentially with jitter, so delays grow", () => {
    const t0 = 1_000_000;
    const delays = [1, 2, 3, 4].map(
      (attempt) =>
        (nextAttemptAt({
          attempt,
          firstAttemptAt: t0,
          now: t0,
          retryAfterMs: null,
          random: () => 0.99,
        }) ?? 0) - t0,
    );
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? 0);
    const low = nextAttemptAt({
      attempt: 2,
      firstAttemptAt: t0,
      now: t0,
      retryAfterMs: null,
      random: () => 0,
    });
    expect(low).toBe(t0 + WEBHOOK_RETRY.firstDelayMs); // half of the 2 * base ceiling
  });

  it("honours Retry-After (seconds and HTTP dates) when it asks for longer", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Tue, 01 Dec 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    const at = nextAttemptAt({
      attempt: 1,
      firstAttemptAt: now,
      now,
      retryAfterMs: 120_000,
      baseMs: 100,
    });
    expect(at).toBe(now + 120_000);
  });

  it("gives up after 24 hours", () => {
    const t0 = 0;
    const late = 24 * 3_600_000 - 1000;
    expect(
      nextAttemptAt({ attempt: 20, firstAttemptAt: t0, now: late, retryAfterMs: null }),
    ).toBeNull();
  });
});
