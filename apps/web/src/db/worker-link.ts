/**
 * The page's end of the database worker: numbered requests, each answered once. If the worker
 * dies, every waiting call fails with the reason instead of hanging.
 */
import type { Call, Response } from './protocol.ts';

export interface WorkerLink {
  call<T>(req: Call): Promise<T>;
}

/** Starts the database worker. */
export function startDbWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'ferry-db' });
}

export function linkWorker(worker: Worker): WorkerLink {
  let nextId = 1;
  let broken: Error | null = null;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  worker.onmessage = (e: MessageEvent<Response>) => {
    const res = e.data;
    const w = waiting.get(res.id);
    waiting.delete(res.id);
    if (!w) return;
    if (res.ok) w.resolve(res.value);
    else w.reject(new Error(res.error));
  };
  worker.onerror = (e: ErrorEvent) => {
    broken = new Error(`the database worker failed: ${e.message}`);
    for (const w of waiting.values()) w.reject(broken);
    waiting.clear();
  };
  return {
    call<T>(req: Call): Promise<T> {
      if (broken) return Promise.reject(broken);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve, reject });
        worker.postMessage({ ...req, id });
      });
    },
  };
}
