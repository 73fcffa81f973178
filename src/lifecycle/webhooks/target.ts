// Which webhook URLs a job may name (SSRF guard). Only `https:` on a public host name or a public
// IP address; no credentials in the URL. Loopback over `http:` is allowed only when the deployment
// says so (`WEBHOOK_ALLOW_LOCAL=true`, set by `npm start` for local receivers). Names are not
// resolved here: on Cloudflare, a Worker's fetch cannot reach private addresses of the account's
// network anyway; this check refuses the spellings that would (literal private IPs, localhost).
import { AppError } from "../../errors.ts";

const MAX_URL_LENGTH = 2048;

function invalid(message: string): AppError {
  return new AppError(422, "invalid_webhook", message, { field: "webhook.url" });
}

function ipv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const nums = parts.map(Number);
  return nums.every((n) => n <= 255) ? nums : null;
}

function privateIpv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isLoopback(host: string): boolean {
  const v4 = ipv4(host);
  return host === "localhost" || host === "[::1]" || (v4 !== null && v4[0] === 127);
}

function isPrivateName(host: string): boolean {
  if (host.startsWith("[")) return true; // IPv6 literals: loopback, link-local, ULA, mapped...
  const v4 = ipv4(host);
  if (v4) return privateIpv4(v4);
  if (/^\d+$/.test(host) || /^0x/i.test(host)) return true; // 2130706433, 0x7f000001
  return (
    host === "localhost" ||
    !host.includes(".") ||
    /\.(localhost|local|internal|lan|home|corp|intranet)$/.test(host)
  );
}

/** Checks a job's webhook URL; throws `422 invalid_webhook` with the reason. */
export function checkWebhookUrl(raw: string, allowLocal: boolean): URL {
  if (raw.length > MAX_URL_LENGTH) throw invalid(`the URL is longer than ${MAX_URL_LENGTH}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("not a URL");
  }
  if (url.username || url.password) throw invalid("the URL must not carry credentials");
  const host = url.hostname.toLowerCase();
  if (allowLocal && isLoopback(host) && (url.protocol === "http:" || url.protocol === "https:")) {
    return url;
  }
  if (url.protocol !== "https:") throw invalid("only https: URLs are allowed");
  if (isPrivateName(host)) throw invalid(`${host} is not a public host`);
  return url;
}
