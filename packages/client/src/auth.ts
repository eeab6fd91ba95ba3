import { AuthResponse, MeResponse } from '@ferry/protocol';
import type { TokenStore } from './api.ts';
import type { Checks } from './checks.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { checkServerUrl, type Transport } from './http.ts';
import { StateKey, allState, setState } from './state.ts';

/** Who this database is signed in as. */
export interface Identity {
  userId: string | null;
  email: string | null;
  server: string | null;
  /** A token is stored. */
  signedIn: boolean;
}

/** What the auth calls need. */
export interface AuthDeps {
  driver: SqlDriver;
  transport: Transport;
  tokenStore: TokenStore;
  allowInsecure: boolean;
  checks: Checks;
}

/**
 * Signup and login bind a local database to one account on one server: its outbox holds that
 * account's changes and its clientId belongs to that user, so another account is refused
 * (use another database file) rather than mixing rows between accounts.
 */
export async function authenticate(
  deps: AuthDeps,
  kind: 'signup' | 'login',
  serverUrl: string,
  email: string,
  password: string,
  deviceName?: string,
): Promise<Identity> {
  const server = checkServerUrl(serverUrl, deps.allowInsecure);
  const before = await deps.driver.transaction((tx) => allState(tx));
  const boundServer = before[StateKey.serverUrl];
  if (before[StateKey.userId] && boundServer && boundServer !== server) {
    throw new FerryError(
      ErrorKind.wrongAccount,
      `this local database belongs to an account on ${boundServer}; use another database for ${server}`,
    );
  }
  // Signup's deviceName is an extension (docs/protocol.md, "Device names"); sent only when given.
  const body = { email, password, ...(deviceName === undefined ? {} : { deviceName }) };
  const res = await deps.transport.call<unknown>(server, 'POST', `/v1/auth/${kind}`, { body });
  if (!deps.checks.of(AuthResponse).Check(res))
    throw new FerryError(ErrorKind.protocol, `malformed ${kind} response`);
  const boundUser = before[StateKey.userId];
  if (boundUser && boundUser !== res.userId) {
    // Do not leave a live token behind for an account we refuse to use.
    await deps.transport
      .call(server, 'POST', '/v1/auth/logout', { token: res.token })
      .catch(() => undefined);
    throw new FerryError(
      ErrorKind.wrongAccount,
      `this local database belongs to another account (${before[StateKey.userEmail] ?? boundUser}); use another database`,
    );
  }
  await deps.driver.transaction(async (tx) => {
    await setState(tx, StateKey.serverUrl, server);
    await setState(tx, StateKey.userId, res.userId);
    await setState(tx, StateKey.userEmail, email.toLowerCase());
  });
  await deps.tokenStore.set(res.token);
  return { userId: res.userId, email: email.toLowerCase(), server, signedIn: true };
}

/**
 * Revokes the token on the server when reachable, then forgets it; local rows and the outbox stay.
 * With `everywhere`, asks the server to revoke every token of the account (`POST
 * /v1/auth/logout-all`, every device signs out); that must reach the server, so a failure throws and
 * the token is kept for another try.
 */
export async function logout(deps: AuthDeps, everywhere = false): Promise<{ revoked: boolean }> {
  const token = await deps.tokenStore.get();
  const state = await deps.driver.transaction((tx) => allState(tx));
  let revoked = false;
  const server = state[StateKey.serverUrl];
  if (everywhere) {
    if (!token || !server)
      throw new FerryError(
        ErrorKind.unauthorized,
        'not signed in: sign in first to sign out everywhere',
      );
    await deps.transport.call(server, 'POST', '/v1/auth/logout-all', { token });
    await deps.tokenStore.set(null);
    return { revoked: true };
  }
  if (token && server) {
    try {
      await deps.transport.call(server, 'POST', '/v1/auth/logout', { token });
      revoked = true;
    } catch {
      // Offline or already revoked: forgetting the token locally is what the user asked for.
    }
  }
  await deps.tokenStore.set(null);
  return { revoked };
}

/** The stored identity; with `remote`, asks the server (`GET /v1/me`) and fails when the token is refused. */
export async function whoami(deps: AuthDeps, remote = false): Promise<Identity> {
  const state = await deps.driver.transaction((tx) => allState(tx));
  const token = await deps.tokenStore.get();
  const local: Identity = {
    userId: state[StateKey.userId] ?? null,
    email: state[StateKey.userEmail] ?? null,
    server: state[StateKey.serverUrl] ?? null,
    signedIn: token !== null,
  };
  if (!remote || !token || !local.server) return local;
  const me = await deps.transport.call<unknown>(local.server, 'GET', '/v1/me', { token });
  if (!deps.checks.of(MeResponse).Check(me))
    throw new FerryError(ErrorKind.protocol, 'malformed /v1/me response');
  return { ...local, userId: me.userId, email: me.email };
}

/** Sets the server URL without signing in (e.g. a token handed over by the host). */
export async function setServer(deps: AuthDeps, serverUrl: string): Promise<string> {
  const server = checkServerUrl(serverUrl, deps.allowInsecure);
  await deps.driver.transaction((tx) => setState(tx, StateKey.serverUrl, server));
  return server;
}
