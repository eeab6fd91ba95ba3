/**
 * Every way a `ferry` command can fail, decided in one place: each kind has one exit code, so
 * scripts can tell "the server is down" from "you are signed out" from "no such note".
 */

/** Exit codes, stable for scripts (documented in docs/cli.md). */
export const ExitCode = {
  ok: 0,
  /** Anything not covered below (a bug, a local database that cannot be opened...). */
  failure: 1,
  /** Bad flags, missing or malformed arguments. */
  usage: 2,
  /** The server could not be reached (connection refused, reset, timed out, 5xx, 429). */
  unreachable: 3,
  /** Not signed in, wrong password, or the token was revoked (401/403). */
  auth: 4,
  /** No note (or conflict, or rejected change) with that id. */
  notFound: 5,
  /** `sync` talked to the server but could not finish (changes still queued, or a 4xx refusal). */
  incomplete: 6,
  /** The server refused the request (4xx other than auth), e.g. email taken, protocol too old. */
  refused: 7,
  /**
   * The reader of the output closed the pipe before the command finished (`ferry ls | head -1`):
   * 128 + SIGPIPE, the status a shell reports for a Unix tool that signal stopped. Not 0: a
   * command stopped there did not finish (an `import` cut short commits nothing).
   */
  brokenPipe: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = Exclude<keyof typeof ExitCode, 'ok' | 'brokenPipe'>;

/** An error meant for the user: a clear message and the exit code of its kind. */
export class CliError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }

  get exitCode(): ExitCode {
    return ExitCode[this.kind];
  }
}

/** Shorthand for a usage error. */
export function usage(message: string): CliError {
  return new CliError('usage', message);
}

/** Shorthand for "no such thing". */
export function notFound(message: string): CliError {
  return new CliError('notFound', message);
}

/** Network failures as Node's fetch (undici) and the engine report them. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The engine's error kinds (FerryError.kind), as CLI error kinds. */
const ENGINE_KINDS: Readonly<Record<string, ErrorKind>> = {
  network: 'unreachable',
  server: 'unreachable',
  rate_limited: 'unreachable',
  unauthorized: 'auth',
  invalid_credentials: 'auth',
  forbidden: 'auth',
  no_server: 'auth',
  email_taken: 'refused',
  resync_required: 'incomplete',
  bad_request: 'refused',
  upgrade_required: 'refused',
  protocol: 'failure',
  not_found: 'notFound',
  invalid_input: 'usage',
  insecure_url: 'usage',
  wrong_account: 'refused',
  closed: 'failure',
};

/** Walks `err.cause` looking for a property; engines and fetch nest the interesting part. */
function findInChain(err: unknown, pick: (e: Record<string, unknown>) => unknown): unknown {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && typeof e === 'object' && e !== null; depth++) {
    const found = pick(e as Record<string, unknown>);
    if (found !== undefined) return found;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/**
 * Turns whatever a command threw into a CliError. Engine errors are recognised by shape (a
 * protocol error `code`, an HTTP `status`, a network `code`) rather than by class, so this file
 * does not depend on the engine's internals.
 */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = num(findInChain(err, (e) => num(e.status)));
  const code = str(findInChain(err, (e) => str(e.code)));
  const kind = str(findInChain(err, (e) => str(e.kind)));

  const byKind = kind === undefined ? undefined : ENGINE_KINDS[kind];
  if (byKind === 'auth' && (kind === 'unauthorized' || kind === 'no_server')) {
    return new CliError(
      'auth',
      withHint(
        message,
        kind === 'no_server'
          ? 'run `ferry login --server URL --email E` first'
          : 'sign in with `ferry login --server URL --email E`',
      ),
    );
  }
  if (byKind === 'unreachable')
    return new CliError(
      'unreachable',
      message.startsWith('cannot reach') ? message : `cannot reach the server: ${message}`,
    );
  if (byKind !== undefined) return new CliError(byKind, message);
  if (code === 'unauthorized' || status === 401 || code === 'forbidden' || status === 403)
    return new CliError('auth', message);
  if (code === 'not_found') return new CliError('notFound', message);
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    (err instanceof TypeError && message === 'fetch failed')
  ) {
    const cause = code !== undefined && NETWORK_CODES.has(code) ? ` (${code})` : '';
    return new CliError('unreachable', `cannot reach the server: ${message}${cause}`);
  }
  if (status !== undefined && status >= 400) return new CliError('refused', message);
  return new CliError('failure', message);
}

function withHint(message: string, hint: string): string {
  return message.includes(hint) ? message : `${message} (${hint})`;
}
