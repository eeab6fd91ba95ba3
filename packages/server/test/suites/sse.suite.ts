import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/index.ts';
import type { Backend } from '../backends.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from '../helpers.ts';
import { SseReader } from '../sse-client.ts';
import { ferrySchema } from '@ferry/protocol';

/** `GET /v1/events`: pokes on push, across processes, heartbeats. */
export function sseSuite(backend: Backend): void {
  describe(`events [${backend.name}]`, () => {
    let s: TestServer;
    let second: RunningServer;
    beforeAll(async () => {
      s = await startTestServer({ heartbeatMs: 100 }, backend.makeDb);
      // Another server process on the same database (its own LISTEN connection and clock).
      second = await createServer({
        ...ferrySchema,
        port: 0,
        logLevel: 'silent',
        databaseUrl: s.dbUrl,
        heartbeatMs: 100,
      });
    });
    afterAll(async () => {
      await second.close();
      await s.close();
    });

    it("pokes another device's open stream with the new cursor; never another user's", async () => {
      const u = await signup(s.url);
      const stranger = await signup(s.url);
      const listener = await new SseReader().open(s.url, u.token);
      const strangerStream = await new SseReader().open(s.url, stranger.token);
      expect(listener.status).toBe(200);
      await listener.waitFor((r) => r.pokes().length === 1);
      expect(listener.pokes()).toEqual(['0']);
      const d = new Device(s.url, u.token);
      const r = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
      await listener.waitFor((x) => x.pokes().includes(r.body.cursor));
      await listener.waitFor((x) => x.comments.includes('heartbeat'));
      await strangerStream.waitFor((x) => x.comments.includes('heartbeat'));
      expect(strangerStream.pokes()).toEqual(['0']);
      await listener.close();
      await strangerStream.close();
    });

    it('pokes a stream on one server process for a push through another', async () => {
      const u = await signup(s.url);
      const onFirst = await new SseReader().open(s.url, u.token);
      const onSecond = await new SseReader().open(second.url, u.token);
      await onFirst.waitFor((r) => r.pokes().length === 1);
      await onSecond.waitFor((r) => r.pokes().length === 1);
      const viaSecond = new Device(second.url, u.token);
      const r1 = await viaSecond.sync([viaSecond.mutation('notes', newId(), 'upsert', newNote())]);
      await onFirst.waitFor((r) => r.pokes().includes(r1.body.cursor));
      const viaFirst = new Device(s.url, u.token);
      const r2 = await viaFirst.sync([viaFirst.mutation('notes', newId(), 'upsert', newNote())]);
      await onSecond.waitFor((r) => r.pokes().includes(r2.body.cursor));
      await onFirst.close();
      await onSecond.close();
    });

    it('does not poke for a request that changed nothing', async () => {
      const u = await signup(s.url);
      const listener = await new SseReader().open(s.url, u.token);
      await listener.waitFor((r) => r.pokes().length === 1);
      const d = new Device(s.url, u.token);
      await d.sync();
      await d.sync([d.mutation('notes', newId(), 'upsert', { title: 'missing fields' })]);
      await listener.waitFor((r) => r.comments.filter((c) => c === 'heartbeat').length >= 3);
      expect(listener.pokes()).toEqual(['0']);
      await listener.close();
    });
  });
}
