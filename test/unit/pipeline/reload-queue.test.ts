import { ReloadQueue } from '../../../src/pipeline/reload-queue';

const failed = (e: unknown) => `failed: ${(e as Error).message}`;

describe('ReloadQueue', () => {
  it('after a reload that threw, the next one runs (it used to fail with the old error without running)', async () => {
    const q = new ReloadQueue<string>(failed);
    const ran: string[] = [];
    const first = q.run(async () => {
      ran.push('first');
      throw new Error('tracker refused min_hits 0');
    });
    const second = q.run(async () => {
      ran.push('second');
      return 'ok';
    });
    expect(await first).toBe('failed: tracker refused min_hits 0');
    expect(await second).toBe('ok');
    expect(await q.run(async () => 'third')).toBe('third');
    expect(ran).toEqual(['first', 'second']);
  });

  it('runs one at a time, in order', async () => {
    const q = new ReloadQueue<number>(() => -1);
    const log: string[] = [];
    const job = (n: number, ms: number) => async () => {
      log.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${n}`);
      return n;
    };
    const all = await Promise.all([q.run(job(1, 30)), q.run(job(2, 1)), q.run(job(3, 1))]);
    expect(all).toEqual([1, 2, 3]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('waits for a held start, whether it succeeds or fails', async () => {
    const q = new ReloadQueue<string>(failed);
    let finishStart: (ok: boolean) => void = () => undefined;
    q.holdUntil(new Promise<void>((resolve, reject) => (finishStart = (ok) => (ok ? resolve() : reject(new Error('start failed'))))));
    const log: string[] = [];
    const reload = q.run(async () => {
      log.push('reload');
      return 'done';
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual([]);
    log.push('start finished');
    finishStart(false);
    expect(await reload).toBe('done');
    expect(log).toEqual(['start finished', 'reload']);
  });

  it('idle() resolves after what is queued, never rejects', async () => {
    const q = new ReloadQueue<string>(failed);
    let done = false;
    void q.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
      throw new Error('x');
    });
    await q.idle();
    expect(done).toBe(true);
  });
});
