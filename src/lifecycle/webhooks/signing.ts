// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<body>" with a `whsec_<base64>` secret, sent as
// `webhook-signature: v1,<base64>`. Several secrets may be valid at once (rotation): every one
// signs, and the signatures are sent space-separated, so a receiver holding either verifies.
import { AppError } from "../../errors.ts";

const PREFIX = "whsec_";

/** The secrets of a gateway, from a secret binding: one or more `whsec_...`, comma-separated. */
export function parseSecrets(raw: string | undefined): Uint8Array[] {
  const secrets = (raw ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(decodeSecret);
  return secrets;
}

function decodeSecret(secret: string): Uint8Array {
  if (!secret.startsWith(PREFIX)) {
    throw new AppError(500, "internal", "a webhook secret must start with whsec_");
  }
  const bin = atob(secret.slice(PREFIX.length));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

function toBase64(bytes: ArrayBuffer): string {
  let bin = "";
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The `webhook-signature` header value for one message: `v1,<sig>` per secret. */
export async function signatureHeader(
  secrets: readonly Uint8Array[],
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const data = new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey(
        "raw",
        secret,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      return `v1,${toBase64(await crypto.subtle.sign("HMAC", key, data))}`;
    }),
  );
  return signatures.join(" ");
}
