// The hash chain (format version 1). Every prefix of a tail has its own key:
//   h0  = SHA-256("sql-runner/h0\0" || canonical JSON of {engine, extensions, hashFormat, settings})
//   h_i = SHA-256(h_{i-1} [32 raw bytes] || u32be(len(path_i)) || path_i [UTF-8] || digest_i [32 raw bytes])
//   digest_i = SHA-256(content_i)                      when step i includes nothing
//   digest_i = SHA-256("sql-runner/includes\0" || SHA-256(content_i) || u32be(n)
//                      || n x (u32be(len(path)) || path || SHA-256(content)))   otherwise
// Content is the normalized UTF-8 text. docs/project-format.md describes the same format.

export const HASH_FORMAT_VERSION = 1;

const encoder = new TextEncoder();
const H0_TAG = encoder.encode("sql-runner/h0\0");
const INCLUDES_TAG = encoder.encode("sql-runner/includes\0");

export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** SHA-256 of bytes, or of a string's UTF-8 bytes, as 64 lowercase hex digits. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await sha256(data));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** JSON with object keys sorted (by UTF-16 code unit) at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export interface HashedConfig {
  engine: string;
  extensions: Readonly<Record<string, string>>;
  settings: Readonly<Record<string, string>>;
}

export async function computeH0(config: HashedConfig): Promise<Uint8Array> {
  const json = canonicalJson({
    hashFormat: HASH_FORMAT_VERSION,
    engine: config.engine,
    extensions: config.extensions,
    settings: config.settings,
  });
  return sha256(concat([H0_TAG, encoder.encode(json)]));
}

export interface IncludedFile {
  path: string;
  sha256: Uint8Array;
}

/** digest_i of a step from its content hash and its included files (in first-reached order). */
export async function stepDigest(
  contentSha: Uint8Array,
  includes: readonly IncludedFile[],
): Promise<Uint8Array> {
  if (includes.length === 0) return contentSha;
  const parts: Uint8Array[] = [INCLUDES_TAG, contentSha, u32be(includes.length)];
  for (const file of includes) parts.push(...framedPath(file.path), file.sha256);
  return sha256(concat(parts));
}

// One reused buffer for h_i preimages. Safe across interleaved plans: digest() copies its input
// before it returns (WebCrypto spec), and filling + calling happen without an await between.
let chainBuffer = new Uint8Array(1024);
let chainView = new DataView(chainBuffer.buffer);

/**
 * h_i from h_{i-1} (32 bytes), the step's normalized path and its digest (32 bytes). Returns the
 * digest promise itself: one promise per step in the hot loop, not two.
 */
export function chainHash(
  previous: Uint8Array,
  path: string,
  digest: Uint8Array,
): Promise<ArrayBuffer> {
  const size = 32 + 4 + path.length * 3 + 32;
  if (chainBuffer.byteLength < size) {
    chainBuffer = new Uint8Array(size);
    chainView = new DataView(chainBuffer.buffer);
  }
  chainBuffer.set(previous, 0);
  // Paths are short and nearly always ASCII: copy code units directly, encodeInto otherwise.
  let written = 0;
  while (written < path.length) {
    const c = path.charCodeAt(written);
    if (c >= 0x80) break;
    chainBuffer[36 + written++] = c;
  }
  if (written < path.length) written = encoder.encodeInto(path, chainBuffer.subarray(36)).written;
  chainView.setUint32(32, written);
  chainBuffer.set(digest, 36 + written);
  return crypto.subtle.digest("SHA-256", chainBuffer.subarray(0, 36 + written + 32));
}

function framedPath(path: string): [Uint8Array, Uint8Array] {
  const bytes = encoder.encode(path);
  return [u32be(bytes.byteLength), bytes];
}

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
