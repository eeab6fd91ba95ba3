import { Type, type Static } from '@sinclair/typebox';

/** Every error code the protocol defines, with its HTTP status. */
export const ErrorStatus = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  email_taken: 409,
  /** Extension: a different mutation under an already-used (clientId, seq); take a new clientId. */
  client_id_reused: 409,
  resync_required: 410,
  payload_too_large: 413,
  upgrade_required: 426,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ErrorStatus;

/** The body of every non-2xx response. */
export const ErrorEnvelope = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/** Builds the error envelope. */
export function errorBody(code: ErrorCode, message: string): ErrorEnvelope {
  return { error: { code, message } };
}

/** True for statuses a client may retry unchanged (with backoff). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
