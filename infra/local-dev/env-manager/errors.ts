// Errors env-manager answers with: a status, a stable code, a message naming the offending field,
// and for 429/503 a Retry-After in seconds.
export class EnvError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterS: number | undefined;

  constructor(status: number, code: string, message: string, retryAfterS?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}
