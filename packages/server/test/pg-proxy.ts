import { Socket, createServer, type Server } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that counts the round trips its clients ask for (a simple
 * `Query` or an extended query's `Sync`), and can go silent: `freeze()` stops forwarding either
 * way without closing anything, as a dead network path would (no error reaches either side).
 */
export class PgProxy {
  /** Round trips asked for through the proxy so far. */
  roundTrips = 0;
  private frozen = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a proxy to the PostgreSQL of `target`; `url` is `target` through the proxy. */
  static async start(target: string): Promise<PgProxy> {
    const up = new URL(target);
    const holder: { proxy?: PgProxy } = {};
    const server = createServer((client) => holder.proxy!.accept(client, up));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const via = new URL(target);
    via.hostname = '127.0.0.1';
    via.port = String((server.address() as { port: number }).port);
    holder.proxy = new PgProxy(server, via.toString());
    return holder.proxy;
  }

  /** Stops forwarding, silently, on every connection open now or later. */
  freeze(): void {
    this.frozen = true;
  }

  /** Closes the proxy and every connection through it. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket, up: URL): void {
    const server = new Socket();
    server.connect(Number(up.port || 5432), up.hostname);
    for (const s of [client, server]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        server.destroy();
      });
    }
    const count = this.counter();
    client.on('data', (b: Buffer) => {
      if (this.frozen) return;
      count(b);
      server.write(b);
    });
    server.on('data', (b: Buffer) => {
      if (!this.frozen) client.write(b);
    });
  }

  /** Parses the frontend stream: one untyped startup message, then typed messages. */
  private counter(): (b: Buffer) => void {
    let pending = Buffer.alloc(0);
    let started = false;
    return (b) => {
      pending = Buffer.concat([pending, b]);
      for (;;) {
        const head = started ? 5 : 4;
        if (pending.length < head) return;
        const len = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < len) return;
        if (started) {
          const type = String.fromCharCode(pending[0]!);
          if (type === 'Q' || type === 'S') this.roundTrips++;
        }
        started = true;
        pending = pending.subarray(len);
      }
    };
  }
}
