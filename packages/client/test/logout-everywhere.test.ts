import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, email, startTestServer, type TestServer } from './server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('logout({ everywhere: true })', () => {
  it('signs every device of the account out; notes and queues stay; signing in again resumes', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    await b.tables.notes.create({ title: 'queued on b' });
    await a.logout({ everywhere: true });
    expect(await a.whoami()).toMatchObject({ signedIn: false, email: user });
    await expect(b.sync()).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(b.status()).toMatchObject({ state: 'signed-out', pending: 1 });
    await b.login(server.url, user, 'correct horse battery');
    await b.sync();
    await a.login(server.url, user, 'correct horse battery');
    await a.sync();
    expect((await a.tables.notes.list()).map((n) => n.title)).toEqual(['queued on b']);
    await a.close();
    await b.close();
  });

  it('fails, and keeps this device signed in, when the server cannot be told', async () => {
    const a = await device(server, email(), { signup: true });
    const { token } = (await a.connection())!;
    await fetch(`${server.url}/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    await expect(a.logout({ everywhere: true })).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(await a.whoami()).toMatchObject({ signedIn: true });
    await a.close();
  });
});
