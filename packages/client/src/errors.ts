/**
 * Every failure the engine reports, classified in one place: what kind it is decides whether the
 * scheduler retries it, whether the user is signed out, and what the UI says.
 */

/** What went wrong, independent of where. */
export const ErrorKind = {
  /** No answer: connection refused, reset, DNS, timeout. */
  network: 'network',
  /** 5xx from the server. */
  server: 'server',
  /** 429. */
  rateLimited: 'rate_limited',
  /** 401, or no token stored. */
  unauthorized: 'unauthorized',
  /** 401 on login. */
  invalidCredentials: 'invalid_credentials',
  /** 403: e.g. this database's clientId belongs to another user. */
  forbidden: 'forbidden',
  /** 409 on signup. */
  emailTaken: 'email_taken',
  /** 409 client_id_reused: this database's (clientId, seq) were used by a copy; the engine takes a new clientId by itself. */
  clientIdReused: 'client_id_reused',
  /** 410: the cursor is too old; the engine resyncs by itself. */
  resyncRequired: 'resync_required',
  /** 400 / 413 / other 4xx: retrying the same request cannot help (a sync sends less or sets a mutation aside first: push-budget.ts). */
  badRequest: 'bad_request',
  /** 426: this client is too old for the server. */
  upgradeRequired: 'upgrade_required',
  /** The server answered something that is not the protocol. */
  protocol: 'protocol',
  /** Local: no such record. */
  notFound: 'not_found',
  /** Local: the value does not fit the table declaration. */
  invalidInput: 'invalid_input',
  /** Local: a plain http:// URL to a non-loopback host without `allowInsecure`, or a malformed URL. */
  insecureUrl: 'insecure_url',
  /** Local: no server configured. */
  noServer: 'no_server',
  /** Local: this database already belongs to another account or server. */
  wrongAccount: 'wrong_account',
  /** Local: the engine was closed. */
  closed: 'closed',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

interface KindPolicy {
  /** The scheduler may retry the same request later (with backoff). */
  readonly retryable: boolean;
  /** The user must sign in again; syncing stops. */
  readonly signsOut: boolean;
  /** The failure means the server could not be reached (state `offline`, not `error`). */
  readonly offline: boolean;
}

const policies: Readonly<Record<ErrorKind, KindPolicy>> = {
  network: { retryable: true, signsOut: false, offline: true },
  server: { retryable: true, signsOut: false, offline: false },
  rate_limited: { retryable: true, signsOut: false, offline: false },
  unauthorized: { retryable: false, signsOut: true, offline: false },
  invalid_credentials: { retryable: false, signsOut: false, offline: false },
  forbidden: { retryable: false, signsOut: false, offline: false },
  email_taken: { retryable: false, signsOut: false, offline: false },
  resync_required: { retryable: true, signsOut: false, offline: false },
  client_id_reused: { retryable: true, signsOut: false, offline: false },
  bad_request: { retryable: false, signsOut: false, offline: false },
  upgrade_required: { retryable: false, signsOut: false, offline: false },
  // A garbled answer is often a proxy or a half-deployed server: worth another try later.
  protocol: { retryable: true, signsOut: false, offline: false },
  not_found: { retryable: false, signsOut: false, offline: false },
  invalid_input: { retryable: false, signsOut: false, offline: false },
  insecure_url: { retryable: false, signsOut: false, offline: false },
  no_server: { retryable: false, signsOut: true, offline: false },
  wrong_account: { retryable: false, signsOut: false, offline: false },
  closed: { retryable: false, signsOut: false, offline: false },
};

/** An engine failure with its kind, the server's code (when there is one) and retry hints. */
export class FerryError extends Error {
  override readonly name = 'FerryError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: {
      code?: string;
      status?: number;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  /** The protocol's error code when the server sent one, else the kind. */
  get code(): string {
    return this.details.code ?? this.kind;
  }
  get retryable(): boolean {
    return policies[this.kind].retryable;
  }
  get signsOut(): boolean {
    return policies[this.kind].signsOut;
  }
  get offline(): boolean {
    return policies[this.kind].offline;
  }
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

/** Wraps anything thrown into a FerryError (unknown throwables count as network failures only when fetch threw them). */
export function toFerryError(e: unknown): FerryError {
  if (e instanceof FerryError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new FerryError(ErrorKind.protocol, message, { cause: e });
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const statusKinds: Readonly<Record<number, ErrorKind>> = {
  401: ErrorKind.unauthorized,
  403: ErrorKind.forbidden,
  // The request did not arrive in time (a slow upload): the server is there, try again.
  408: ErrorKind.server,
  409: ErrorKind.emailTaken,
  410: ErrorKind.resyncRequired,
  426: ErrorKind.upgradeRequired,
  429: ErrorKind.rateLimited,
};

/**
 * Classifies a non-2xx response: by its status, refined by the error envelope's code
 * (`invalid_credentials`, `client_id_reused`).
 */
export function errorFromResponse(
  status: number,
  body: string,
  headers: Record<string, string>,
  nowMs: number,
): FerryError {
  let code: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // Not the envelope (a proxy's HTML page, say): the status decides.
  }
  let kind: ErrorKind =
    statusKinds[status] ?? (status >= 500 ? ErrorKind.server : ErrorKind.badRequest);
  if (code === 'invalid_credentials') kind = ErrorKind.invalidCredentials;
  if (code === 'client_id_reused') kind = ErrorKind.clientIdReused;
  const retryAfterMs = parseRetryAfter(headers['retry-after'], nowMs);
  return new FerryError(kind, message, {
    status,
    ...(code === undefined ? {} : { code }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
