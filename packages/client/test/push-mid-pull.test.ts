import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncResponse } from '@ferry/protocol';
import { fetchHttp, type Ferry, type HttpFn } from '../src/index.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { type ferryTables } from '@ferry/protocol';

const NOTES = 200;
const PAGE = 20;
/** The page during whose apply the edit is made (1-based); the pull has NOTES / PAGE pages. */
const EDIT_AT_PAGE = 3;

/** What each `/v1/sync` of the device under test sent and got. */
interface Exchange {
  mutations: number;
  hasMore: boolean;
}

describe('a local edit made during a long pull', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('is pushed between pull pages and reaches another device before the pull ends', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const seeded = await a.tables.notes.createMany(
      Array.from({ length: NOTES }, (_, i) => ({ title: `n${i}` })),
    );
    await a.sync();
    const first = seeded[0]!.id;

    // The other device checks the server when the last page of the pull has been answered.
    const other = await device(server, user);
    await other.sync();
    let seenByOtherBeforeEnd: string | undefined;
    const exchanges: Exchange[] = [];
    const http: HttpFn = async (req) => {
      const res = await fetchHttp(req);
      if (!req.url.endsWith('/v1/sync')) return res;
      const sent = JSON.parse(req.body ?? '{}') as { mutations?: unknown[] };
      const got = JSON.parse(res.body) as SyncResponse;
      exchanges.push({ mutations: sent.mutations?.length ?? 0, hasMore: got.hasMore });
      if (!got.hasMore && seenByOtherBeforeEnd === undefined) {
        await other.sync();
        seenByOtherBeforeEnd = (await other.tables.notes.get(first))?.title;
      }
      return res;
    };

    let pages = 0;
    const edits: Promise<unknown>[] = [];
    let b: Ferry<typeof ferryTables> | null = null;
    b = await device(server, user, {
      http,
      pullLimit: PAGE,
      hooks: {
        applyProbe: (step) => {
          if (step !== 'pulled' || ++pages !== EDIT_AT_PAGE) return;
          // Made while this page's transaction is open: it commits right after the page does.
          const edit = b!.tables.notes.update(first, { title: 'edited during the pull' });
          edit.catch(() => undefined);
          edits.push(edit);
        },
      },
    });
    const out = await b.sync();
    await Promise.all(edits);
    expect(edits).toHaveLength(1);
    console.log(`exchanges (mutations/hasMore): ${JSON.stringify(exchanges)}`);

    expect(out.pulled).toBeGreaterThanOrEqual(NOTES);
    expect(exchanges.filter((x) => x.hasMore).length).toBeGreaterThanOrEqual(
      NOTES / PAGE - EDIT_AT_PAGE,
    );
    // The edit went out with a request whose answer still had more to pull ...
    const pushedAt = exchanges.findIndex((x) => x.mutations > 0);
    expect(pushedAt, 'the edit was pushed during this sync').toBeGreaterThanOrEqual(0);
    expect(exchanges[pushedAt]?.hasMore, 'pushed before the last page').toBe(true);
    // ... and a second device saw it on the server when the last page was answered.
    expect(seenByOtherBeforeEnd).toBe('edited during the pull');
    expect(b.status()).toMatchObject({ pending: 0 });
    expect((await b.tables.notes.get(first))?.title).toBe('edited during the pull');
    await Promise.all([a.close(), b.close(), other.close()]);
  }, 60_000);
});
