import { MemorySampler, summarizeMemory, type MemorySample } from '../../../src/bench/memory-sampler';

const sample = (t_s: number, daemon: number, capture: number[], dirty = 0.8): MemorySample => ({
  t_s,
  frames: Math.max(0, Math.round(t_s * 30)),
  processes: [
    { pid: 100, role: 'daemon', pss_mb: daemon, private_dirty_mb: daemon * dirty, rss_mb: daemon + 90 },
    ...capture.map((pss, i) => ({ pid: 200 + i, role: 'capture' as const, pss_mb: pss, private_dirty_mb: pss * dirty, rss_mb: pss + 80 })),
  ],
});

describe('summarizeMemory', () => {
  test('adds the processes up, leaves the warm-up out, and gives start, end, max and the steady level', () => {
    const samples = [sample(-2, 100, [20]), sample(0, 270, [130]), sample(60, 276, [132]), sample(120, 274, [134]), sample(180, 272, [134])];
    const m = summarizeMemory(samples)!;
    expect(m.samples).toBe(4);
    expect(m.duration_s).toBe(180);
    expect(m.total_pss_mb).toEqual({ start: 400, end: 406, max: 408 });
    expect(m.steady_pss_mb).toBe(407); // mean of the second half: 408, 406
    expect(m.processes.map((p) => [p.role, p.pid, p.pss_mb.start, p.pss_mb.end, p.pss_mb.max])).toEqual([
      ['daemon', 100, 270, 272, 276],
      ['capture', 200, 130, 134, 134],
    ]);
  });

  test('a leak shows as growth per minute and as a share over the run; a plateau does not', () => {
    const leak = Array.from({ length: 11 }, (_, i) => sample(i * 60, 250 + i * 2, [100]));
    const l = summarizeMemory(leak)!;
    expect(l.growth_mb_per_min).toBeCloseTo(2, 5);
    expect(l.growth_pct).toBeCloseTo((2 * 10 * 100) / 350, 2);
    const flat = Array.from({ length: 11 }, (_, i) => sample(i * 60, 250 + (i % 2), [100]));
    expect(Math.abs(summarizeMemory(flat)!.growth_mb_per_min)).toBeLessThan(0.1);
  });

  test('a capture process restarted mid-run is its own process, and counts only while it lives', () => {
    const s = [sample(0, 200, [50]), sample(1, 200, [50])];
    const restarted: MemorySample = {
      ...sample(2, 200, []),
      processes: [...sample(2, 200, []).processes, { pid: 300, role: 'capture', pss_mb: 60, private_dirty_mb: 40, rss_mb: 140 }],
    };
    const m = summarizeMemory([...s, restarted])!;
    expect(m.processes.map((p) => p.pid)).toEqual([100, 200, 300]);
    expect(m.processes.find((p) => p.pid === 300)!.samples).toBe(1);
    expect(m.total_pss_mb.end).toBe(260);
  });

  test('nothing measured after the warm-up (or no /proc): null', () => {
    expect(summarizeMemory([sample(-1, 100, [])])).toBeNull();
    expect(summarizeMemory([{ t_s: 3, frames: 0, processes: [] }])).toBeNull();
  });
});

describe('MemorySampler', () => {
  test('samples taken before mark() get negative times once time zero is known', async () => {
    if (process.platform !== 'linux') return;
    let frames = 0;
    const sampler = new MemorySampler(() => frames, new Set(), 1000);
    sampler.sample();
    await new Promise((r) => setTimeout(r, 30));
    frames = 5;
    sampler.mark();
    sampler.stop();
    const [warm, zero, last] = sampler.samples;
    expect(warm.t_s).toBeLessThan(0);
    expect(zero.t_s).toBeGreaterThanOrEqual(0);
    expect(last.t_s).toBeGreaterThanOrEqual(0);
    expect(zero.frames).toBe(5);
    expect(zero.processes[0]).toMatchObject({ pid: process.pid, role: 'daemon' });
    expect(zero.processes[0].pss_mb).toBeGreaterThan(0);
  });
});
