import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fault, startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';

// The proxy must really fail requests the way the simulation says it does, or the simulation
// proves nothing: each fault is checked against a counting upstream.
let hits = 0;
const upstream = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    hits += 1;
    const body = JSON.stringify({ ok: true, pad: 'x'.repeat(2000) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});
let proxy: FaultProxy;

beforeAll(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startFaultProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

async function call(fault: Fault): Promise<{ ok: boolean; hitsBefore: number }> {
  proxy.setPlan(() => ({ fault, delayMs: 20 }));
  const hitsBefore = hits;
  try {
    const res = await fetch(`${proxy.url}/v1/x`, { method: 'POST', body: '{}' });
    const body = (await res.json()) as { ok: boolean };
    return { ok: body.ok, hitsBefore };
  } catch {
    return { ok: false, hitsBefore };
  }
}

describe('fault proxy', () => {
  it('passes and delays untouched', async () => {
    for (const f of [Fault.pass, Fault.delay]) {
      const r = await call(f);
      expect(r.ok).toBe(true);
      expect(hits).toBe(r.hitsBefore + 1);
    }
  });

  it('drops a request before the server sees it', async () => {
    const r = await call(Fault.dropRequest);
    expect(r.ok).toBe(false);
    expect(hits).toBe(r.hitsBefore);
  });

  it('drops the response after the server handled the request', async () => {
    const r = await call(Fault.dropResponse);
    expect(r.ok).toBe(false);
    expect(hits).toBe(r.hitsBefore + 1);
  });

  it('resets the connection in the middle of the response body', async () => {
    const r = await call(Fault.resetMidResponse);
    expect(r.ok).toBe(false);
    expect(hits).toBe(r.hitsBefore + 1);
  });
});
