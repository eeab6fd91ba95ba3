import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHttp, memoryTokenStore, openFerry, type Ferry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { PASSWORD, email, startTestServer, type TestServer } from './server.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

// Device names (extension): history entries and text conflicts name the devices by the names
// their logins gave; conflicts from the names the engine remembers, so also offline.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function engine(): Promise<Ferry<typeof ferryTables>> {
  return openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(tempDbPath()),
    tokenStore: memoryTokenStore(),
    http: fetchHttp,
  });
}

describe('device names', () => {
  it('names the devices of history entries and of text conflicts, offline too', async () => {
    const user = email();
    const a = await engine();
    await a.signup(server.url, user, PASSWORD, "Ana's laptop");
    const b = await engine();
    await b.login(server.url, user, PASSWORD, "Ana's phone");
    const n = await a.tables.notes.create({
      title: 'Trip',
      content: 'Day 1: Lisbon\nDay 2: Sintra\n',
    });
    await a.sync();
    await b.sync();
    await a.tables.notes.update(n.id, { content: 'Day 1: Lisbon\nDay 2: Cascais\n' });
    await new Promise((r) => setTimeout(r, 5));
    await b.tables.notes.update(n.id, { content: 'Day 1: Lisbon\nDay 2: Evora\n' });
    await a.sync();
    await b.sync();
    await a.sync();
    const history = await a.history(n.id);
    expect(history.revisions.map((r) => r.deviceName)).toEqual([
      "Ana's phone",
      "Ana's laptop",
      "Ana's laptop",
    ]);
    for (const f of [a, b]) {
      const [c] = await f.textConflicts();
      expect(c).toMatchObject({
        keptClientId: b.clientId,
        keptDeviceName: "Ana's phone",
        otherClientId: a.clientId,
        otherDeviceName: "Ana's laptop",
      });
    }
    expect(await a.deviceNames()).toEqual(
      new Map([
        [a.clientId, "Ana's laptop"],
        [b.clientId, "Ana's phone"],
      ]),
    );
    await server.stop();
    expect((await a.textConflicts())[0]?.keptDeviceName).toBe("Ana's phone");
    expect((await a.deviceNames()).get(b.clientId)).toBe("Ana's phone");
    await server.restart();
    await a.close();
    await b.close();
  });
});
