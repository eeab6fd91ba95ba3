import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { compactGroupsBody } from '../src/sync/encode-page.ts';
import { appendKey, headJson, syncResponseBody, type WireChange } from '../src/sync/pull.ts';
import { lazyRequestLogger } from '../src/http/request-logger.ts';

const head = {
  protocol: 2,
  results: [{ seq: 1, status: 'applied' as const, version: 3 }],
  lastMutationSeq: 1,
  cursor: '42',
  hasMore: false,
  serverHlc: '001764170000000-00000-0123456789abcdef',
  position: '42',
};

describe('response bodies written without spreading the head', () => {
  it('a v1 body is JSON.stringify({ ...head, changes }), byte for byte', () => {
    const rows = [
      { table: 'notes', seq: '41', row: { id: 'a', title: 'é "q" \\ \u0001', v: null } },
      { table: 'notes', seq: '42', row: { id: 'b', title: '' } },
    ];
    const changes: WireChange[] = rows.map((r) => ({
      table: r.table,
      seq: r.seq,
      json: JSON.stringify(r),
    }));
    expect(syncResponseBody(head, changes)).toBe(JSON.stringify({ ...head, changes: rows }));
    expect(syncResponseBody(head, [])).toBe(JSON.stringify({ ...head, changes: [] }));
  });

  it('a compact body without rows is JSON.stringify({ ...head, compact })', () => {
    expect(compactGroupsBody(head, new Map(), new Map())).toBe(
      JSON.stringify({ ...head, compact: 1 }),
    );
  });

  it('headJson is JSON.stringify of the head, escapes and odd numbers included', () => {
    expect(headJson(head)).toBe(JSON.stringify(head));
    const idle = { ...head, results: [] };
    expect(headJson(idle)).toBe(JSON.stringify(idle));
    for (const odd of ['', 'a"b', 'a\\b', 'é', '\u0000', '\u2028', '\ud800', '~ !#[]']) {
      const h = { ...head, cursor: odd, serverHlc: odd, position: odd };
      expect(headJson(h)).toBe(JSON.stringify(h));
    }
    for (const n of [0, -0, 1e21, 2 ** 53, NaN, Infinity]) {
      const h = { ...head, protocol: n, lastMutationSeq: n };
      expect(headJson(h)).toBe(JSON.stringify(h));
    }
    expect(syncResponseBody(headJson(head), [])).toBe(JSON.stringify({ ...head, changes: [] }));
  });

  it('appendKey adds the member last, to an empty object too', () => {
    expect(appendKey('{}', '"a":1')).toBe('{"a":1}');
    expect(appendKey('{"b":[{}]}', '"a":[]')).toBe('{"b":[{}],"a":[]}');
  });
});

describe('lazyRequestLogger', () => {
  async function app(level: string) {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const a = Fastify({ logger: { level, stream }, childLoggerFactory: lazyRequestLogger });
    a.get('/warn', (req) => {
      req.log.warn({ detail: 7 }, 'something odd');
      req.log.debug('not written at info');
      return 'ok';
    });
    await a.ready();
    return { a, lines };
  }

  it("writes a request's lines with the request id, as pino's own child would", async () => {
    const { a, lines } = await app('info');
    await a.inject({ method: 'GET', url: '/warn' });
    const warn = lines.find((l) => l.msg === 'something odd')!;
    expect(warn).toMatchObject({ level: 40, detail: 7, reqId: 'req-1' });
    // Fastify's own request lines at info go through it too.
    expect(lines.map((l) => l.msg)).toEqual([
      'incoming request',
      'something odd',
      'request completed',
    ]);
    expect(lines.every((l) => l.reqId === 'req-1')).toBe(true);
    await a.close();
  });

  it('writes nothing below the level', async () => {
    const { a, lines } = await app('error');
    await a.inject({ method: 'GET', url: '/warn' });
    expect(lines).toEqual([]);
    await a.close();
  });
});
