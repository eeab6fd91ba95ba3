import { ErrorStatus, type ErrorCode } from '@ferry/protocol';

/**
 * The protocol's codes, the auth-specific one it names in its endpoint table, and three HTTP-level
 * extensions: a known path asked with a method it does not serve, a request not received in
 * time (raised by Node's parser: see early-errors.ts), and a request body in a coding the server
 * does not read (`Content-Encoding`, compression.ts).
 */
const STATUS: Readonly<Record<string, number>> = {
  ...ErrorStatus,
  invalid_credentials: 401,
  method_not_allowed: 405,
  request_timeout: 408,
  unsupported_encoding: 415,
};
export type ServerErrorCode =
  | ErrorCode
  | 'invalid_credentials'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'unsupported_encoding';

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
