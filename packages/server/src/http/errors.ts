import { ErrorStatus, type ErrorCode } from '@ferry/protocol';

/** The protocol's codes plus the auth-specific ones it names in its endpoint table. */
const STATUS: Readonly<Record<string, number>> = { ...ErrorStatus, invalid_credentials: 401 };
export type ServerErrorCode = ErrorCode | 'invalid_credentials';

/** An error that becomes the protocol's error envelope; the status follows from the code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ServerErrorCode,
    message: string,
    /** Seconds, sent as `Retry-After` (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = STATUS[code] ?? 500;
  }
}

/** Shorthand for throwing an envelope error. */
export function fail(code: ServerErrorCode, message: string, retryAfter?: number): never {
  throw new HttpError(code, message, retryAfter);
}
