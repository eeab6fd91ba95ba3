/**
 * The request log at the default level (`info`): one line per request, written when it is
 * answered (method, path without its query, route, status, time, request id), and no token,
 * cookie, CSRF value or password anywhere in the log.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { signup, startTestServer, type TestServer, type TestUser } from './helpers.ts';

/** The log, one JSON line an entry, as the server wrote it. */
const lines: string[] = [];
let srv: TestServer;
let user: TestUser;

beforeAll(async () => {
  srv = await startTestServer({
    logLevel: 'info',
    logStream: { write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) },
  });
  user = await signup(srv.url, undefined, 'secret-password-1');
});
afterAll(() => srv.close());

/** The log lines of one request made by `send`: those with the request id of its first line. */
async function logOf(send: () => Promise<Response>): Promise<Record<string, unknown>[]> {
  lines.length = 0;
  const res = await send();
  await res.text();
  // Answered: wait for the line written on response (Fastify's, or ours).
  await vi.waitFor(() => expect(lines.join('\n')).toMatch(/"msg":"request( completed)?"/));
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const reqId = parsed[0]?.reqId;
  return parsed.filter((l) => l.reqId === reqId);
}

const SECRETS = /secret|Bearer|ferry_session|csrf-value/i;

it('writes one line per request at info, on response, without its query', async () => {
  const log = await logOf(() =>
    fetch(`${srv.url}/v1/me?token=secret-in-query`, {
      headers: {
        authorization: `Bearer ${user.token}`,
        cookie: 'ferry_session=secret-cookie',
        'x-ferry-csrf': 'csrf-value',
      },
    }),
  );
  expect(log.length).toBe(1);
  expect(log[0]).toMatchObject({
    level: 30,
    msg: 'request',
    method: 'GET',
    url: '/v1/me',
    route: '/v1/me',
    status: 200,
    ms: expect.any(Number) as unknown,
    reqId: expect.any(String) as unknown,
  });
  expect(lines.join('\n')).not.toMatch(SECRETS);
  expect(lines.join('\n')).not.toContain(user.token);
});

it('writes one line for a refused request too, with no secret', async () => {
  const log = await logOf(() =>
    fetch(`${srv.url}/v1/me`, { headers: { authorization: 'Bearer secret-wrong-token' } }),
  );
  expect(log.length).toBe(1);
  expect(log[0]).toMatchObject({ level: 30, url: '/v1/me', status: 401 });
  expect(lines.join('\n')).not.toMatch(SECRETS);
});

it('never logs a login body (password) or the token it answers', async () => {
  lines.length = 0;
  const res = await fetch(`${srv.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: 'secret-password-1' }),
  });
  const { token } = (await res.json()) as { token: string };
  await vi.waitFor(() => expect(lines.join('\n')).toMatch(/"msg":"request( completed)?"/));
  expect(lines.join('\n')).not.toMatch(SECRETS);
  expect(lines.join('\n')).not.toContain(token);
});

/** Sends a request head promising a body it never sends; resolves with the answer's status line. */
function headOnly(path: string, token: string): Promise<string> {
  const { hostname, port } = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let got = '';
    socket.on('data', (b: Buffer) => (got += b.toString('utf8')));
    socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write(
      `POST ${path}?token=secret-q HTTP/1.1\r\nhost: ${hostname}\r\n` +
        `authorization: Bearer ${token}\r\ncontent-type: application/json\r\n` +
        'content-length: 1000\r\n\r\n',
    );
  });
}

it('writes the one line of a request answered before its body arrived (401 on the socket)', async () => {
  lines.length = 0;
  expect(await headOnly('/v1/sync', 'secret-wrong-token')).toMatch(/^HTTP\/1\.1 401/);
  await vi.waitFor(() => expect(lines.join('\n')).toMatch(/"status":401/));
  const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(log).toMatchObject([
    { level: 30, msg: 'request', method: 'POST', url: '/v1/sync', status: 401 },
  ]);
  expect(lines.join('\n')).not.toMatch(SECRETS);
});

// Last: it breaks the server's database.
it("logs a route's unexpected error apart, at error, with its detail (and still one request line)", async () => {
  const db = new pg.Client({ connectionString: srv.dbUrl });
  await db.connect();
  await db.query('ALTER TABLE tokens RENAME TO tokens_gone');
  await db.end();
  const log = await logOf(() =>
    fetch(`${srv.url}/v1/me`, { headers: { authorization: 'Bearer secret-unknown-token' } }),
  );
  expect(log).toMatchObject([
    {
      level: 50,
      msg: 'unhandled error',
      err: { message: expect.stringMatching(/tokens/) as unknown },
    },
    { level: 30, msg: 'request', url: '/v1/me', status: 500 },
  ]);
  expect(lines.join('\n')).not.toMatch(SECRETS);
});
