// The one way tests wait for something observable: poll a probe until it holds, and on timeout say what
// was awaited and what the probe last showed, so a red test reads as "waited for X, saw Y".
import { inspect } from 'node:util';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitForOptions<T> {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Poll interval, default 25 ms. */
  intervalMs?: number;
  /** When the probe's value counts as reached; default: truthy. */
  until?: (value: T) => boolean;
  /** More to say on failure (a log tail, the MQTT traffic). */
  context?: () => string;
  /** A reason to stop waiting at once (the process under test exited), or undefined to go on. */
  abortIf?: () => string | undefined;
}

/** What a probe showed, short enough for an error message. */
export function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20 });
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/**
 * Polls `probe` until `until(value)` (default: truthy) and resolves with that value. The probe may be
 * async (an HTTP endpoint to read): each poll awaits it.
 * Rejects with `timed out after N ms waiting for <what>; last seen: <value>` (and `context()`),
 * or `<abort reason> while waiting for <what>` as soon as `abortIf` gives a reason (after one last look).
 *
 * @example
 * const status = await waitFor('front to stream', () => rec.lastJson(`${base}/front/status`), {
 *   until: (s) => s?.state === 'streaming',
 * });
 */
export async function waitFor<T>(what: string, probe: () => T | PromiseLike<T>, options: number | WaitForOptions<T> = {}): Promise<T> {
  const o = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const until = o.until ?? ((v: T) => Boolean(v));
  const deadline = Date.now() + timeoutMs;
  const tail = () => (o.context ? `\n${o.context()}` : '');
  for (;;) {
    const value = await probe();
    if (until(value)) return value;
    const aborted = o.abortIf?.();
    if (aborted !== undefined) {
      // One last look: what was awaited may have come with the last output.
      await sleep(200);
      const last = await probe();
      if (until(last)) return last;
      throw new Error(`${aborted} while waiting for ${what}; last seen: ${describeValue(last)}${tail()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${describeValue(value)}${tail()}`);
    await sleep(o.intervalMs ?? 25);
  }
}
