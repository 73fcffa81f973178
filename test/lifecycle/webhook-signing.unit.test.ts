import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { parseSecrets, signatureHeader } from "../../src/lifecycle/webhooks/signing.ts";

const OLD = `whsec_${btoa("old secret of the gateway, 32 b!")}`;
const NEW = `whsec_${btoa("new secret of the gateway, 32 b!")}`;

describe("webhook signatures (Standard Webhooks)", () => {
  it("verify with the standardwebhooks package", async () => {
    const body = JSON.stringify({ type: "job.completed", data: { job_id: "j1" } });
    const ts = Math.floor(Date.now() / 1000);
    const header = await signatureHeader(parseSecrets(NEW), "msg_1", ts, body);
    expect(header).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const payload = new Webhook(NEW).verify(body, {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(ts),
      "webhook-signature": header,
    });
    expect(payload).toEqual(JSON.parse(body));
  });

  it("sign with both secrets during a rotation, so either verifies", async () => {
    const body = "{}";
    const ts = Math.floor(Date.now() / 1000);
    const header = await signatureHeader(parseSecrets(`${OLD},${NEW}`), "msg_2", ts, body);
    expect(header.split(" ")).toHaveLength(2);
    const headers = {
      "webhook-id": "msg_2",
      "webhook-timestamp": String(ts),
      "webhook-signature": header,
    };
    expect(() => new Webhook(OLD).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(NEW).verify(body, headers)).not.toThrow();
    const other = `whsec_${btoa("a secret nobody configured here!")}`;
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
  });

  it("refuse a body that was changed after signing", async () => {
    const ts = Math.floor(Date.now() / 1000);
    const header = await signatureHeader(parseSecrets(NEW), "msg_3", ts, '{"a":1}');
    const headers = {
      "webhook-id": "msg_3",
      "webhook-timestamp": String(ts),
      "webhook-signature": header,
    };
    expect(() => new Webhook(NEW).verify('{"a":2}', headers)).toThrow();
  });
});
