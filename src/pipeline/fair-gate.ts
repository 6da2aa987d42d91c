/**
 * A model session's turns, with cameras served in turn: when a turn frees up, the next waiting camera
 * after the one served last gets it, so a fast camera cannot starve a slow one however quickly it
 * comes back. A session may have more than one turn (`slots`): with two, the next frame is already
 * queued in the inference worker when the current one finishes, so the model never waits for the
 * main thread to publish a result and hand over the next input (issue 17).
 */
export class FairGate {
  private held = 0;
  private readonly order: string[] = [];
  private readonly waiting = new Map<string, () => void>();
  private lastServed = -1;

  constructor(private readonly slots = 1) {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`FairGate: slots must be a positive integer, got ${slots}`);
  }

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
        resolve(this.releaser());
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
    return this.held > 0;
  }

  /** Turns held now. */
  get holders(): number {
    return this.held;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.held < this.slots) {
      if (!this.grantNext()) return;
    }
  }

  /** Gives a turn to the next waiting camera after the one served last; false when none waits. */
  private grantNext(): boolean {
    const n = this.order.length;
    for (let step = 1; step <= n; step += 1) {
      const i = (this.lastServed + step + n) % n;
      const grant = this.waiting.get(this.order[i]);
      if (grant) {
        this.waiting.delete(this.order[i]);
        this.held += 1;
        this.lastServed = i;
        grant();
        return true;
      }
    }
    return false;
  }
}
