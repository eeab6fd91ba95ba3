import type { SyncRequest, SyncResponse, MutationResult, Row } from '@ferry/protocol';
import type { HttpFn } from '../api.ts';

/**
 * A minimal in-memory stand-in for the server, for the shared store checks that must run where
 * no server is available (the desktop webview). It keeps rows and positions and answers
 * `/v1/sync` and `/v1/auth/*`; it does not merge by HLC (the last mutation received wins). The
 * engine's own tests run against the real server.
 */
export class FakeRemote {
  private readonly rows = new Map<string, { table: string; row: Row; position: number }>();
  private position = 0;
  private lastSeq = 0;
  /** Called while a sync request is being answered (after the server state changed). */
  during: (() => Promise<void>) | null = null;
  /** Whether responses carry the user's position (the `position` extension). */
  sendPosition = true;
  requests: SyncRequest[] = [];

  /** Writes a row as if another device had synced it. */
  put(table: string, row: Record<string, unknown> & { id: string }): void {
    const prev = this.rows.get(row.id);
    const version = (prev?.row.version ?? 0) + 1;
    this.rows.set(row.id, {
      table,
      row: { ...prev?.row, ...row, version },
      position: ++this.position,
    });
  }

  /** The server-side row. */
  get(id: string): Row | undefined {
    return this.rows.get(id)?.row;
  }

  readonly http: HttpFn = async (req) => {
    const path = new URL(req.url).pathname;
    if (path === '/v1/auth/signup' || path === '/v1/auth/login') {
      return {
        status: path.endsWith('signup') ? 201 : 200,
        headers: {},
        body: JSON.stringify({
          userId: '00000000-0000-7000-8000-000000000001',
          token: 'fake-token',
        }),
      };
    }
    if (path !== '/v1/sync')
      return {
        status: 404,
        headers: {},
        body: JSON.stringify({ error: { code: 'not_found', message: path } }),
      };
    const body = JSON.parse(req.body ?? '{}') as SyncRequest;
    this.requests.push(body);
    const results: MutationResult[] = [];
    for (const m of body.mutations) {
      if (m.seq <= this.lastSeq) {
        results.push({ seq: m.seq, status: 'duplicate' });
        continue;
      }
      this.put(m.table, { ...m.fields, id: m.id });
      results.push({ seq: m.seq, status: 'applied', version: this.rows.get(m.id)!.row.version });
    }
    this.lastSeq = Math.max(this.lastSeq, ...body.mutations.map((m) => m.seq));
    const limit = body.pullLimit ?? 500;
    const all = [...this.rows.values()]
      .filter((r) => r.position > Number(body.cursor))
      .sort((a, b) => a.position - b.position);
    const page = all.slice(0, limit);
    const res: SyncResponse = {
      protocol: 1,
      results,
      lastMutationSeq: this.lastSeq,
      changes: page.map((r) => ({ table: r.table, seq: String(r.position), row: r.row })),
      cursor: page.length ? String(page.at(-1)!.position) : body.cursor,
      hasMore: all.length > page.length,
      serverHlc: `${String(Date.now()).padStart(15, '0')}-00000-00000000000000ff`,
      ...(this.sendPosition ? { position: String(this.position) } : {}),
    };
    if (this.during) {
      const d = this.during;
      this.during = null;
      await d();
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(res),
    };
  };
}
