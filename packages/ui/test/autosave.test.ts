import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autosave, SaveState } from '../src/state/autosave.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('autosave', () => {
  it('writes the latest draft once, 300 ms after the last keystroke', async () => {
    const saved: string[] = [];
    const states: SaveState[] = [];
    const a = new Autosave<string>(
      (v) => {
        saved.push(v);
        return Promise.resolve();
      },
      (s) => states.push(s),
    );
    a.change('h');
    await vi.advanceTimersByTimeAsync(200);
    a.change('he');
    await vi.advanceTimersByTimeAsync(200);
    a.change('hey');
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(saved).toEqual(['hey']);
    expect(states.at(-1)).toBe(SaveState.saved);
    expect(a.dirty()).toBe(false);
  });

  it('flush writes at once and never runs two saves together', async () => {
    let running = 0;
    let maxRunning = 0;
    const saved: string[] = [];
    const a = new Autosave<string>(
      async (v) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 50));
        saved.push(v);
        running--;
      },
      () => undefined,
    );
    a.change('one');
    const first = a.flush();
    a.change('two');
    const second = a.flush();
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([first, second]);
    expect(saved).toEqual(['one', 'two']);
    expect(maxRunning).toBe(1);
  });

  it('is dirty while a draft is being written, so a remote reload does not replace it', async () => {
    let release = (): void => undefined;
    const a = new Autosave<string>(
      () => new Promise<void>((r) => (release = r)),
      () => undefined,
    );
    a.change('typed');
    const done = a.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.dirty()).toBe(true);
    release();
    await done;
    expect(a.dirty()).toBe(false);
  });

  it('reports a failed save', async () => {
    const states: SaveState[] = [];
    const a = new Autosave<string>(
      () => Promise.reject(new Error('disk full')),
      (s) => states.push(s),
    );
    a.change('x');
    await a.flush();
    expect(states.at(-1)).toBe(SaveState.error);
  });
});
