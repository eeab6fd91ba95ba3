import { PokeEvent } from '@ferry/protocol';
import { interpretedValidator } from './checks.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { backoffDelay, type BackoffOptions, type Timers } from './timers.ts';

// A poke is one small object: walking its schema costs nothing worth compiling it for.
const pokeCheck = interpretedValidator(PokeEvent);

/** A streaming GET for Server-Sent Events. */
export interface EventSourceRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}
export interface EventSourceResponse {
  status: number;
  /** The body as text chunks, as they arrive. */
  body: AsyncIterable<string>;
}
/**
 * The streaming seam: fetch with a readable body in Node and browsers; the desktop supplies one
 * over its Rust shell, which holds the token. Either way the body goes through `textChunks` and
 * {@link SseParser}.
 */
export type EventSourceFn = (req: EventSourceRequest) => Promise<EventSourceResponse>;

/**
 * A reader of a byte stream: the two methods of a `ReadableStream`'s default reader used here
 * (the DOM stream types are not in this package's lib).
 */
export interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  releaseLock(): void;
}

/** The bytes read as text, chunk by chunk; a character split across chunks comes out whole. */
export async function* textChunks(reader: ByteReader | undefined): AsyncIterable<string> {
  if (!reader) return;
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done || !r.value) break;
      yield decoder.decode(r.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

/** The default EventSourceFn: the platform's fetch, reading the body as it streams. */
export const fetchEventSource: EventSourceFn = async (req) => {
  const res = await fetch(req.url, { headers: req.headers, signal: req.signal });
  return { status: res.status, body: textChunks(res.body?.getReader()) };
};

/** One parsed SSE event. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The longest event the parser waits for, in characters: Ferry's are a poke of ~40 and comments.
 * A stream that sends more without ending an event is broken or hostile; without the bound its
 * buffer (and the search through it for each chunk) would grow for as long as it streams.
 */
export const MAX_SSE_EVENT_CHARS = 64 * 1024;

/** Incremental SSE parser: feed it chunks, get complete events (comments are dropped). */
export class SseParser {
  private buffer = '';

  /** Adds a chunk; returns the events it completed. Throws once an event passes the bound. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0 || event !== 'message') out.push({ event, data: data.join('\n') });
    }
    if (this.buffer.length > MAX_SSE_EVENT_CHARS)
      throw new FerryError(
        ErrorKind.protocol,
        `the event stream sent over ${MAX_SSE_EVENT_CHARS} characters without ending an event`,
      );
    return out;
  }
}

/** What the poke listener needs. */
export interface PokeListenerOptions {
  eventSource: EventSourceFn;
  /** The server and token to use now, or null when signed out. */
  connection: () => Promise<{ server: string; token: string } | null>;
  onPoke: (cursor: string) => void;
  /** The server refused the token (401). */
  onUnauthorized: () => void;
  timers: Timers;
  random: () => number;
  backoff?: BackoffOptions;
}

/**
 * Listens to `GET /v1/events` and calls `onPoke` for each `poke`. Reconnects with backoff when
 * the stream ends or fails; stops on 401.
 */
export class PokeListener {
  private abort: AbortController | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private running = false;

  constructor(private readonly opts: PokeListenerOptions) {}

  /** Starts listening (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    void this.connect();
  }

  /** Stops listening and cancels a pending reconnect. */
  stop(): void {
    this.running = false;
    this.abort?.abort();
    this.abort = null;
    if (this.timer !== null) this.opts.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const conn = await this.opts.connection().catch(() => null);
    if (!conn) {
      this.stop();
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    try {
      const res = await this.opts.eventSource({
        url: `${conn.server}/v1/events`,
        headers: { authorization: `Bearer ${conn.token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (res.status === 401) {
        this.stop();
        this.opts.onUnauthorized();
        return;
      }
      if (res.status === 200) {
        const parser = new SseParser();
        for await (const chunk of res.body) {
          // A stream that delivers data is healthy: the next failure starts the backoff afresh.
          this.attempt = 0;
          for (const ev of parser.push(chunk)) {
            if (ev.event !== 'poke') continue;
            let cursor = '';
            try {
              const data: unknown = JSON.parse(ev.data);
              if (pokeCheck.Check(data)) cursor = data.cursor;
            } catch {
              // A malformed poke is still a hint that something changed.
            }
            this.opts.onPoke(cursor);
          }
        }
      }
    } catch {
      // Network failure, abort, or a broken stream (which is closed here): reconnect below
      // (unless stopped).
      abort.abort();
    }
    if (this.abort === abort) this.abort = null;
    if (!this.running) return;
    this.attempt++;
    const delay = backoffDelay(
      this.attempt,
      this.opts.backoff ?? { baseMs: 1000, maxMs: 60_000 },
      this.opts.random,
    );
    this.timer = this.opts.timers.setTimeout(() => void this.connect(), delay);
  }
}
