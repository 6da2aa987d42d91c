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
    // Busy on the main thread for 60 ms of CPU, not of the clock: on a loaded machine 60 ms of the
    // clock may hold less than one 10 ms tick of this thread's time.
    const cpu0 = process.cpuUsage();
    while (process.cpuUsage(cpu0).user < 60_000);
    const spent = cpuBetween(a, cpuSnapshot(new Set()));
    expect(spent.mainThreadMs).not.toBeNull();
    // A reader that looked at some other, idle thread would say 0.
    expect(spent.mainThreadMs!).toBeGreaterThan(0);
    // /proc counts user and system time in 10 ms ticks each, so a difference can be 20 ms over.
    expect(spent.mainThreadMs!).toBeLessThanOrEqual(spent.processMs + 20);
  });
});
