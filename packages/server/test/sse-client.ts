/** A minimal SSE reader over fetch, for tests: collects events and comments as they arrive. */
export class SseReader {
  readonly events: { event: string; data: string }[] = [];
  readonly comments: string[] = [];
  private readonly ctl = new AbortController();
  private waiters: (() => void)[] = [];
  status = 0;
  private done: Promise<void> = Promise.resolve();

  /** Opens the stream; resolves once the response headers are in. */
  async open(url: string, token: string): Promise<this> {
    const r = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: this.ctl.signal,
    });
    this.status = r.status;
    if (!r.body) return this;
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = (await reader.read()) as {
            value: Uint8Array | undefined;
            done: boolean;
          };
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            this.parse(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch {
        // aborted
      }
      this.wake();
    })();
    return this;
  }

  /** Waits until `pred` holds for the collected events (or fails after `ms`). */
  async waitFor(pred: (r: this) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline)
        throw new Error(
          `SSE condition not met in ${ms} ms; events: ${JSON.stringify(this.events)}`,
        );
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 50);
      });
    }
  }

  /** The cursors of the poke events so far. */
  pokes(): string[] {
    return this.events
      .filter((e) => e.event === 'poke')
      .map((e) => (JSON.parse(e.data) as { cursor: string }).cursor);
  }

  /** True when the server ended the stream (or it was closed) within `ms`. */
  async endsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)));
    const ended = await Promise.race([this.done.then(() => true as const), timeout]);
    clearTimeout(timer);
    return ended;
  }

  /** Closes the stream. */
  async close(): Promise<void> {
    this.ctl.abort();
    await this.done;
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trim());
    }
    if (data.length > 0) this.events.push({ event, data: data.join('\n') });
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
