/**
 * The engine's EventSourceFn over the Rust shell's `events_open`: the stream request leaves from
 * Rust, which puts the real token in place of the placeholder bearer (as `http_request` does), and
 * the body's bytes come back over a channel as they arrive. Decoding and parsing them is the
 * engine's (`textChunks`, `SseParser`), as on the web: the shell only forwards.
 */
import { textChunks, type EventSourceFn } from '@ferry/client';
import { Channel } from '@tauri-apps/api/core';
import { invoke as tauriInvoke, type Invoke } from './invoke.ts';

/** A channel message (`events.rs`, `forward`): a chunk of the body, or null once it ended. */
type StreamMessage = ArrayBuffer | null;

/** What `events_open` answers. */
interface Opened {
  id: number;
  status: number;
}

/** An EventSourceFn whose stream is opened, and closed on abort, by the shell. */
export function createShellEventSource(invoke: Invoke = tauriInvoke): EventSourceFn {
  return async (req) => {
    let sink!: ReadableStreamDefaultController<Uint8Array>;
    const bytes = new ReadableStream<Uint8Array>({ start: (c) => void (sink = c) });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      sink.close();
    };
    const channel = new Channel<StreamMessage>((m) => {
      if (ended) return;
      if (m === null) end();
      else sink.enqueue(new Uint8Array(m));
    });
    const request = { url: req.url, headers: req.headers };
    const { id, status } = await invoke<Opened>('events_open', { request, onMessage: channel });
    // Only a successful response is forwarded; any other has no body to wait for.
    if (status < 200 || status >= 300) end();
    const abort = (): void => {
      end();
      invoke('events_close', { id }).catch(() => {
        // The stream is gone with the shell: nothing is left to close.
      });
    };
    if (req.signal.aborted) abort();
    else req.signal.addEventListener('abort', abort, { once: true });
    return { status, body: textChunks(bytes.getReader()) };
  };
}
