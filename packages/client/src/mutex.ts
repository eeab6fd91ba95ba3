/** A FIFO async lock: `run` calls execute one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier call has settled; resolves or rejects with `fn`'s result. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    // The chain must not reject, or every later caller would inherit the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
