// A real webhook receiver for the integration tests (Node): verifies every message with the
// `standardwebhooks` package and records it; how it answers depends on the path it was given:
//   /ok/<key>                  200
//   /fail-twice/<key>          500, 500, then 200
//   /retry-after/<key>         429 with `Retry-After: 2`, then 200
//   /gone/<key>                410 (a 4xx that ends the delivery as failed)
//   /hang/<key>                never answers (the sender's timeout must fire)
// `GET /received?key=<key>` answers the recorded messages of a key.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** The signing secret of the integration Worker (vitest.config.ts) and of this receiver. */
export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.from("integration-test-webhook-secret!").toString("base64")}`;

export interface ReceivedMessage {
  key: string;
  behaviour: string;
  webhook_id: string;
  timestamp: string;
  verified: boolean;
  received_at: number;
  answered: number | null;
  body: unknown;
}

export interface WebhookReceiver {
  url: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedMessage[] = [];
  const hanging = new Set<() => void>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    if (req.method === "GET" && url.pathname === "/received") {
      const key = url.searchParams.get("key");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(received.filter((m) => m.key === key)));
      return;
    }
    const [, behaviour = "", key = ""] = url.pathname.split("/");
    const body = await readBody(req);
    const headers = {
      "webhook-id": String(req.headers["webhook-id"] ?? ""),
      "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
      "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
    };
    let verified = true;
    let parsed: unknown = null;
    try {
      parsed = verifier.verify(body, headers);
    } catch {
      verified = false;
    }
    const earlier = received.filter((m) => m.key === key).length;
    const message: ReceivedMessage = {
      key,
      behaviour,
      webhook_id: headers["webhook-id"],
      timestamp: headers["webhook-timestamp"],
      verified,
      received_at: Date.now(),
      answered: null,
      body: parsed,
    };
    received.push(message);
    const answer = (status: number, extra: Record<string, string> = {}) => {
      message.answered = status;
      res.writeHead(status, extra).end();
    };
    if (behaviour === "hang") {
      hanging.add(() => res.destroy());
      return;
    }
    if (behaviour === "fail-twice") return answer(earlier < 2 ? 500 : 200);
    if (behaviour === "retry-after")
      return answer(earlier < 1 ? 429 : 200, earlier < 1 ? { "retry-after": "2" } : {});
    if (behaviour === "gone") return answer(410);
    answer(200);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
