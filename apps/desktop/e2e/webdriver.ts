/**
 * A small W3C WebDriver client over fetch, enough to drive the app through WebKitWebDriver:
 * sessions, elements, typing, scripts and screenshots. No extra npm dependency.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

let importAvailable: boolean | null = null;
function hasImport(): boolean {
  if (importAvailable === null) {
    try {
      execFileSync('import', ['-version'], { stdio: 'ignore' });
      importAvailable = true;
    } catch {
      importAvailable = false;
    }
  }
  return importAvailable;
}

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

interface WdError {
  error: string;
  message: string;
}

/** One WebDriver session against a running driver at `base`. */
export class WebDriverSession {
  private constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  /** Starts the app `binary` under the driver and returns its session. */
  static async start(base: string, binary: string, args: string[] = []): Promise<WebDriverSession> {
    const res = await call(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args } } },
    });
    const id = (res as { sessionId: string }).sessionId;
    return new WebDriverSession(base, id);
  }

  private cmd(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  /** Runs a synchronous script in the page; returns its result. */
  execute<T>(script: string, ...args: unknown[]): Promise<T> {
    return this.cmd('POST', '/execute/sync', { script, args }) as Promise<T>;
  }

  /** Runs a script whose last argument is a callback; returns what it is called with. */
  executeAsync<T>(script: string, ...args: unknown[]): Promise<T> {
    return this.cmd('POST', '/execute/async', { script, args }) as Promise<T>;
  }

  /** The first element matching a CSS selector, or null. */
  async find(css: string): Promise<string | null> {
    const found = (await this.cmd('POST', '/elements', {
      using: 'css selector',
      value: css,
    })) as Record<string, string>[];
    return found[0]?.[ELEMENT] ?? null;
  }

  /** Waits for a CSS selector to match. */
  async waitFor(css: string, timeoutMs = 15_000): Promise<string> {
    let el: string | null = null;
    await waitUntil(`element ${css}`, async () => (el = await this.find(css)) !== null, timeoutMs);
    return el!;
  }

  /**
   * Runs `act` on the element matching `css`. When the page replaced that element between the
   * find and the act (a list re-rendering under a live refresh: WebDriver's "stale element
   * reference"), finds it again and retries, a few times at most.
   */
  private async onElement<T>(css: string, act: (el: string) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await act(await this.waitFor(css));
      } catch (e) {
        const stale = e instanceof Error && e.message.includes('stale element reference');
        if (!stale || attempt >= 5) throw e;
      }
    }
  }

  /** Clicks the element matching `css`. */
  async click(css: string): Promise<void> {
    await this.onElement(css, (el) => this.cmd('POST', `/element/${el}/click`, {}));
  }

  /** Types `text` into the element matching `css` (after clearing it when asked). */
  async type(css: string, text: string, opts: { clear?: boolean } = {}): Promise<void> {
    await this.onElement(css, async (el) => {
      if (opts.clear) await this.cmd('POST', `/element/${el}/clear`, {});
      await this.cmd('POST', `/element/${el}/value`, { text });
    });
  }

  /** Sends key strokes to the focused element (e.g. "\uE009n" for Ctrl+N). */
  async keys(value: string): Promise<void> {
    const actions = [...value]
      .flatMap((k) => [{ type: 'keyDown', value: k }])
      .concat([...value].reverse().map((k) => ({ type: 'keyUp', value: k })));
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
    await this.cmd('DELETE', '/actions').catch(() => undefined);
  }

  /** The visible text of the element matching `css`. */
  async text(css: string): Promise<string> {
    return (await this.onElement(css, (el) => this.cmd('GET', `/element/${el}/text`))) as string;
  }

  /** An attribute of the element matching `css`. */
  async attribute(css: string, name: string): Promise<string | null> {
    return (await this.onElement(css, (el) =>
      this.cmd('GET', `/element/${el}/attribute/${name}`),
    )) as string | null;
  }

  /** Resizes the window. */
  async resize(width: number, height: number): Promise<void> {
    await this.cmd('POST', '/window/rect', { width, height });
  }

  /**
   * Saves a PNG of the window. WebKitWebDriver's own screenshot can wait forever for a frame
   * after the window was resized under Xvfb (no window manager), so the X server's picture of
   * the window is used when ImageMagick's `import` is there; the driver's screenshot otherwise.
   */
  async screenshot(path: string): Promise<void> {
    const rect = (await this.cmd('GET', '/window/rect')) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    if (process.env.DISPLAY && hasImport()) {
      // Let a pending relayout paint first.
      await new Promise((r) => setTimeout(r, 400));
      const crop = `${rect.width}x${rect.height}+${Math.max(0, rect.x)}+${Math.max(0, rect.y)}`;
      execFileSync('import', ['-window', 'root', '-crop', crop, '+repage', path], {
        stdio: 'ignore',
        timeout: 20_000,
      });
      return;
    }
    const b64 = (await this.cmd('GET', '/screenshot')) as string;
    await writeFile(path, Buffer.from(b64, 'base64'));
  }

  /** Ends the session (closes the app). */
  async quit(): Promise<void> {
    await this.cmd('DELETE', '').catch(() => undefined);
  }
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  // A command that hangs (e.g. waiting for a frame that never comes) fails the test instead.
  const init: RequestInit = {
    method,
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(90_000),
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const json = (await res.json()) as { value: unknown };
  if (!res.ok) {
    const e = json.value as WdError;
    throw new Error(`WebDriver ${method} ${path}: ${e.error}: ${e.message}`);
  }
  return json.value;
}

/** Polls `cond` until it is true; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await cond()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** WebDriver key codes. In element typing, Ctrl stays pressed until NULL_KEY. */
export const CTRL = '\uE009';
export const NULL_KEY = '\uE000';
export const BACKSPACE = '\uE003';
export const ENTER = '\uE007';
