/**
 * Reloads run one at a time, and none before the daemon has finished starting: a reload that ran
 * beside `start()` saw no cameras yet, so it loaded the models again and started every camera a second
 * time (the first set of capture processes kept publishing, orphaned). A reload that throws answers
 * through `onError` and the queue goes on: an earlier version kept the rejected promise as the tail,
 * so one failure failed every later reload without running it.
 */
export class ReloadQueue<T> {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly onError: (error: unknown) => T) {}

  /** Later jobs wait for `busy` (e.g. the start); its outcome does not matter to them. */
  holdUntil(busy: Promise<unknown>): void {
    this.tail = Promise.all([this.tail, busy.catch(() => undefined)]);
  }

  /** Resolves once everything queued so far has finished (a stop waits for a reload in progress). */
  idle(): Promise<void> {
    return this.tail.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Runs `job` after everything queued or held before it. Never rejects. */
  run(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job).catch((e: unknown) => this.onError(e));
    this.tail = result;
    return result;
  }
}
