// @vitest-environment jsdom
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createShellHttp, decodeResponse } from '../src/shell/http.ts';
import { createShellTokenStore } from '../src/shell/token-store.ts';

afterEach(() => clearMocks());

/** The shell's raw http_request answer (`HttpResponse::into_ipc`): head line, newline, body. */
function raw(res: { status: number; headers: Record<string, string>; body: string }): ArrayBuffer {
  const head = JSON.stringify({ status: res.status, headers: res.headers });
  return new TextEncoder().encode(`${head}\n${res.body}`).buffer;
}

function record(handler: (cmd: string, args: Record<string, unknown>) => unknown) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    return handler(cmd, args);
  });
  return calls;
}

describe('the shell token store', () => {
  it('reads the placeholder, forwards sets with the server origin, clears on null', async () => {
    const calls = record((cmd) => (cmd === 'token_get' ? 'ferry-desktop-held-token' : null));
    const store = createShellTokenStore(() => 'http://127.0.0.1:8787');
    expect(await store.get()).toBe('ferry-desktop-held-token');
    await store.set('ferry-desktop-held-token');
    await store.set(null);
    expect(calls).toEqual([
      { cmd: 'token_get', args: {} },
      {
        cmd: 'token_set',
        args: { token: 'ferry-desktop-held-token', origin: 'http://127.0.0.1:8787' },
      },
      { cmd: 'token_clear', args: {} },
    ]);
  });
});

describe('the shell HTTP transport', () => {
  it('sends the request to http_request and returns its response', async () => {
    const calls = record(() =>
      raw({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }),
    );
    const http = createShellHttp();
    const res = await http({
      method: 'POST',
      url: 'http://127.0.0.1:8787/v1/sync',
      headers: { authorization: 'Bearer x' },
      body: '{}',
    });
    expect(res).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
    expect(calls[0]).toEqual({
      cmd: 'http_request',
      args: {
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:8787/v1/sync',
          headers: { authorization: 'Bearer x' },
          body: '{}',
        },
      },
    });
  });

  it('asks for gzip only (what the page inflates) and sends a body marked gzip as it is', async () => {
    const calls = record(() => raw({ status: 200, headers: {}, body: '' }));
    const http = createShellHttp();
    expect(http.codings).toEqual({ accept: 'gzip', gzipRequests: false });
    await http({
      method: 'POST',
      url: 'https://ferry.example/v1/sync',
      headers: { 'accept-encoding': 'gzip' },
      body: '{"big":true}',
      gzip: true,
    });
    expect(calls[0]?.args).toEqual({
      request: {
        method: 'POST',
        url: 'https://ferry.example/v1/sync',
        headers: { 'accept-encoding': 'gzip' },
        body: '{"big":true}',
      },
    });
  });

  it('reads the raw answer: the head line, then the body with its newlines and UTF-8 intact', async () => {
    const body = '{"changes":[{"title":"a\\nb"}]}\n\n  née ✓ 🚢';
    record(() => raw({ status: 409, headers: { 'x-a': 'line\nbreak' }, body }));
    const res = await createShellHttp()({ method: 'GET', url: 'http://127.0.0.1:1/', headers: {} });
    expect(res).toEqual({ status: 409, headers: { 'x-a': 'line\nbreak' }, body });
  });

  it('inflates a gzip answer the shell passed on compressed, and drops its coding headers', async () => {
    const body = JSON.stringify({ changes: Array.from({ length: 500 }, (_, i) => `née ✓ ${i}`) });
    const gzipped = gzipSync(body, { level: 1 });
    const head = JSON.stringify({
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(gzipped.length),
      },
    });
    const answer = new Uint8Array([...new TextEncoder().encode(`${head}\n`), ...gzipped]);
    record(() => answer.buffer);
    const res = await createShellHttp()({
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/sync',
      headers: {},
    });
    expect(res).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body });
  });

  it('refuses a gzip answer that inflates past the cap, as a protocol error', async () => {
    const head = JSON.stringify({ status: 200, headers: { 'content-encoding': 'gzip' } });
    const bomb = gzipSync(Buffer.alloc(4 << 20));
    const answer = new Uint8Array([...new TextEncoder().encode(`${head}\n`), ...bomb]);
    await expect(decodeResponse(answer, 1 << 20)).rejects.toMatchObject({
      kind: 'protocol',
      message: /larger than the limit of 1048576 bytes once decompressed/,
    });
    expect((await decodeResponse(answer, 4 << 20)).body.length).toBe(4 << 20);
  });

  it('rejects a damaged gzip answer', async () => {
    const head = JSON.stringify({ status: 200, headers: { 'content-encoding': 'gzip' } });
    const damaged = gzipSync('{"ok":true}').subarray(0, 12);
    record(() => new Uint8Array([...new TextEncoder().encode(`${head}\n`), ...damaged]).buffer);
    await expect(
      createShellHttp()({ method: 'GET', url: 'http://127.0.0.1:1/', headers: {} }),
    ).rejects.toThrow();
  });

  it('turns a transport failure into a rejection like fetch', async () => {
    record(() => {
      throw new Error('network: connection refused');
    });
    await expect(
      createShellHttp()({ method: 'GET', url: 'http://127.0.0.1:1/healthz', headers: {} }),
    ).rejects.toThrow(/connection refused/);
  });

  it("reports an answer over the shell's size cap as a protocol error, not as offline", async () => {
    record(() => {
      // What the shell's ShellError::TooLarge serialises to: Tauri rejects with it, not an Error.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { kind: 'too_large', message: 'the response from 127.0.0.1 is larger than the limit' };
    });
    await expect(
      createShellHttp()({ method: 'GET', url: 'http://127.0.0.1:1/v1/sync', headers: {} }),
    ).rejects.toMatchObject({ kind: 'protocol', message: /larger than the limit/ });
  });

  it('does not start an already aborted request', async () => {
    const calls = record(() => raw({ status: 200, headers: {}, body: '' }));
    const ac = new AbortController();
    ac.abort();
    await expect(
      createShellHttp()({
        method: 'GET',
        url: 'http://127.0.0.1:1/',
        headers: {},
        signal: ac.signal,
      }),
    ).rejects.toThrow();
    expect(calls).toEqual([]);
  });
});
