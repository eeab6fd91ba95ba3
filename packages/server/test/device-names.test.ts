import type { DeviceList, RevisionList } from '@ferry/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Device,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
} from './helpers.ts';

// Device names (extension): the login's deviceName is linked to the clientId the token syncs
// with, and named with history entries and by GET /v1/devices.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

async function login(email: string, deviceName?: string): Promise<string> {
  const r = await call<{ token: string }>(s.url, 'POST', '/v1/auth/login', {
    body: { email, password: 'correct horse battery', ...(deviceName ? { deviceName } : {}) },
  });
  expect(r.status).toBe(200);
  return r.body.token;
}

describe('device names', () => {
  it("names each revision's device by the name its login gave, and lists the user's devices", async () => {
    const u = await signup(s.url);
    const laptop = new Device(s.url, await login(u.email, "Ana's laptop"));
    const phone = new Device(s.url, await login(u.email, 'Ana’s phone'));
    const unnamed = new Device(s.url, await login(u.email));
    const id = newId();
    expect(
      (await laptop.sync([laptop.mutation('notes', id, 'upsert', newNote('T', 'a\n'))])).status,
    ).toBe(200);
    await phone.sync([phone.mutation('notes', id, 'upsert', { content: 'a\nb\n' }, 1)]);
    await unnamed.sync([unnamed.mutation('notes', id, 'upsert', { content: 'a\nb\nc\n' }, 2)]);
    const h = await call<RevisionList>(s.url, 'GET', `/v1/tables/notes/${id}/revisions`, {
      token: u.token,
    });
    expect(h.body.revisions.map((r) => [r.version, r.clientId, r.deviceName])).toEqual([
      [3, unnamed.clientId, null],
      [2, phone.clientId, 'Ana’s phone'],
      [1, laptop.clientId, "Ana's laptop"],
    ]);
    const one = await call<{ deviceName: string | null }>(
      s.url,
      'GET',
      `/v1/tables/notes/${id}/revisions/2`,
      { token: u.token },
    );
    expect(one.body.deviceName).toBe('Ana’s phone');
    const d = await call<DeviceList>(s.url, 'GET', '/v1/devices', { token: u.token });
    expect(d.status).toBe(200);
    expect(d.body.devices.map((x) => [x.clientId, x.deviceName]).sort()).toEqual(
      [
        [laptop.clientId, "Ana's laptop"],
        [phone.clientId, 'Ana’s phone'],
        [unnamed.clientId, null],
      ].sort(),
    );
    const other = await signup(s.url);
    const none = await call<DeviceList>(s.url, 'GET', '/v1/devices', { token: other.token });
    expect(none.body.devices).toEqual([]);
    expect((await call(s.url, 'GET', '/v1/devices')).status).toBe(401);
  });

  it('a pull-only first sync links the name too, and a new login of the same database renames it', async () => {
    const u = await signup(s.url);
    const first = new Device(s.url, await login(u.email, 'old name'));
    await first.sync();
    const again = Object.assign(new Device(s.url, await login(u.email, 'new name')), {
      clientId: first.clientId,
    });
    await again.sync();
    const d = await call<DeviceList>(s.url, 'GET', '/v1/devices', { token: u.token });
    expect(d.body.devices).toMatchObject([{ clientId: first.clientId, deviceName: 'new name' }]);
  });

  it('signup may name the device (extension)', async () => {
    const r = await call<{ token: string }>(s.url, 'POST', '/v1/auth/signup', {
      body: {
        email: `named-${newId()}@example.com`,
        password: 'correct horse battery',
        deviceName: 'first laptop',
      },
    });
    expect(r.status).toBe(201);
    const dev = new Device(s.url, r.body.token);
    await dev.sync();
    const d = await call<DeviceList>(s.url, 'GET', '/v1/devices', { token: r.body.token });
    expect(d.body.devices).toMatchObject([{ clientId: dev.clientId, deviceName: 'first laptop' }]);
  });
});
