// The one error type the service throws on purpose. `app.onError` maps it to the JSON error shape
// { error: { code, message, ...details } } with `status`; anything else becomes a 500 `internal`.

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "AppError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
