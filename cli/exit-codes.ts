// The CLI's exit codes (docs/cli.md) and the errors that carry them up to bin.ts.

export const EXIT = {
  completed: 0,
  failed: 1,
  usage: 2,
  canceled: 3,
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the CLI was called (bad flag, missing folder, unknown head): exit 2. */
export class UsageError extends Error {
  readonly exitCode: ExitCode = EXIT.usage;
}

/** The service could not be reached, or answered with a server error: exit 4. */
export class UnreachableError extends Error {
  readonly exitCode: ExitCode = EXIT.unreachable;
}

/** The service refused the request (a 4xx that is not the caller's flags): exit 1. */
export class RequestError extends Error {
  readonly exitCode: ExitCode;
  readonly status: number;
  readonly code: string;
  /** The service's error body (`path`, `line`, `field`, ...). */
  details: Record<string, unknown> = {};
  constructor(message: string, status: number, code: string, exitCode: ExitCode = EXIT.failed) {
    super(message);
    this.status = status;
    this.code = code;
    this.exitCode = exitCode;
  }
}
