import { cpuBetween, cpuSnapshot, type CpuSnapshot } from '../../../src/bench/cpu';

describe('cpuBetween', () => {
  test('splits the CPU spent into the process, its main thread and each child; a child born meanwhile counts from zero', () => {
    const a: CpuSnapshot = { processMs: 1000, mainThreadMs: 400, children: new Map([[11, 500]]) };
    const b: CpuSnapshot = {
      processMs: 4000,
      mainThreadMs: 1000,
      children: new Map([
        [11, 1300],
        [12, 200],
      ]),
    };
    const spent = cpuBetween(a, b);
    expect(spent.processMs).toBe(3000);
    expect(spent.mainThreadMs).toBe(600);
    expect(spent.childrenMs).toBe(1000);
    expect([...spent.byChild]).toEqual([
      [11, 800],
      [12, 200],
    ]);
  });

  test('without /proc the main thread and children are unknown, not 0', () => {
    const spent = cpuBetween({ processMs: 0, mainThreadMs: null, children: null }, { processMs: 5, mainThreadMs: null, children: null });
    expect(spent.mainThreadMs).toBeNull();
    expect(spent.childrenMs).toBeNull();
  });

  test("this process's main thread is part of the whole process's CPU time (Linux)", () => {
    if (process.platform !== 'linux') return;
    const a = cpuSnapshot(new Set());
    const until = Date.now() + 60;
    while (Date.now() < until); // busy on the main thread
    const spent = cpuBetween(a, cpuSnapshot(new Set()));
    expect(spent.mainThreadMs).not.toBeNull();
    // 60 ms busy on it: a reader that looked at some other, idle thread would say 0.
    expect(spent.mainThreadMs!).toBeGreaterThan(0);
    expect(spent.mainThreadMs!).toBeLessThanOrEqual(spent.processMs + 10); // clock ticks are 10 ms
  });
});
