/**
 * One inference in flight per model session, with cameras served in turn: when the session frees
 * up, the next waiting camera after the one served last gets it, so a fast camera cannot starve a
 * slow one however quickly it comes back.
 */
export class FairGate {
  private busy = false;
  private readonly order: string[] = [];
  private readonly waiting = new Map<string, () => void>();
  private lastServed = -1;

  /** Resolves with a release function once it is `key`'s turn; rejects when the signal aborts. */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if (!this.order.includes(key)) this.order.push(key);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (this.waiting.has(key)) return Promise.reject(new Error(`FairGate: ${key} is already waiting`));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(key);
        reject(signal?.reason ?? new Error('aborted'));
      };
      this.waiting.set(key, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.releaser(key));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.dispatch();
    });
  }

  /** Cameras that left for good (removed on reload) leave the rotation. */
  forget(key: string): void {
    const i = this.order.indexOf(key);
    if (i >= 0) {
      this.order.splice(i, 1);
      if (this.lastServed >= i) this.lastServed -= 1;
    }
  }

  get inFlight(): boolean {
    return this.busy;
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy = false;
      this.lastServed = this.order.indexOf(key);
      this.dispatch();
    };
  }

  private dispatch(): void {
    if (this.busy || this.waiting.size === 0) return;
    const n = this.order.length;
    for (let step = 1; step <= n; step += 1) {
      const key = this.order[(this.lastServed + step + n) % n];
      const grant = this.waiting.get(key);
      if (grant) {
        this.waiting.delete(key);
        this.busy = true;
        grant();
        return;
      }
    }
  }
}
