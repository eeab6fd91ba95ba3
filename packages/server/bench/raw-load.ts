import { connect, type Socket } from 'node:net';

/**
 * A load generator for many identical small requests, cheaper per request than `node:http`'s
 * client (which spends about as much CPU per idle poll as the server does, on a machine whose
 * two cores both share): each connection writes a prepared HTTP/1.1 request and reads the answer
 * with a minimal parser (status line and `content-length`; the body is checked only by length).
 * `depth` requests are kept in flight per connection (HTTP/1.1 pipelining; 1 = one at a time,
 * as a device sends them). The server does the same work per request either way; pipelining only
 * lets one read and one write carry several requests.
 */
export class RawConnection {
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  /** When each request in flight was sent, oldest first. */
  private readonly sent: number[] = [];
  private stopAt = 0;
  private done: (() => void) | undefined;
  private fail: ((e: Error) => void) | undefined;
  readonly latencies: number[] = [];
  answered = 0;

  private constructor(
    socket: Socket,
    private readonly request: Buffer,
    private readonly depth: number,
  ) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail?.(e));
  }

  /** Opens a connection to `url` that will send `request` (a whole HTTP/1.1 request). */
  static open(url: string, request: Buffer, depth: number): Promise<RawConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = connect(Number(u.port), u.hostname, () =>
        resolve(new RawConnection(s, request, depth)),
      );
      s.once('error', reject);
    });
  }

  /** Sends requests until `seconds` have passed, then waits for the answers in flight. */
  run(seconds: number): Promise<void> {
    this.stopAt = performance.now() + seconds * 1000;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
      this.send(this.depth);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private send(n: number): void {
    const now = performance.now();
    for (let i = 0; i < n; i++) this.sent.push(now);
    this.socket.write(n === 1 ? this.request : Buffer.concat(Array(n).fill(this.request)));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let answered = 0;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) break;
      const head = this.buf.toString('latin1', 0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (length === null) return this.fail?.(new Error(`no content-length: ${head}`));
      const total = end + 4 + Number(length[1]);
      if (this.buf.length < total) break;
      if (!head.startsWith('HTTP/1.1 200 '))
        return this.fail?.(new Error(`idle sync failed: ${head.split('\r\n')[0]}`));
      this.buf = this.buf.subarray(total);
      this.latencies.push(performance.now() - this.sent.shift()!);
      answered++;
    }
    this.answered += answered;
    if (answered === 0) return;
    if (performance.now() < this.stopAt) this.send(answered);
    else if (this.sent.length === 0) this.done?.();
  }
}

/** A POST of a JSON body with a bearer token, as one buffer. */
export function rawPost(url: string, path: string, body: string, token: string): Buffer {
  const u = new URL(url);
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\n` +
      `authorization: Bearer ${token}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
