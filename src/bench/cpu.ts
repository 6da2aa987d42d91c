/**
 * CPU time of the pipeline, split where it is spent: the daemon's main thread (event loop: frame
 * hand-over, preprocessing, tracking, MQTT), the rest of the daemon process (inference worker, ONNX
 * Runtime's threads, libuv pool), and each capture process (decoding). process.cpuUsage() sees only
 * the whole daemon process; the main thread and the capture processes come from /proc (Linux; null
 * elsewhere). A broker the bench itself started is left out by pid.
 */
import { cpuMsOf, descendants, readAllStats, readStat } from './proc';

export interface CpuSnapshot {
  /** This process, all threads. */
  processMs: number;
  /** This process's main thread alone; null off Linux. */
  mainThreadMs: number | null;
  /** utime + stime (ms) of each live descendant process by pid; null off Linux. */
  children: Map<number, number> | null;
}

export function cpuSnapshot(exclude: ReadonlySet<number>, pid = process.pid): CpuSnapshot {
  const u = process.cpuUsage();
  const main = readStat(pid, pid);
  const stats = readAllStats();
  const children =
    stats &&
    new Map(
      descendants(pid, stats)
        .filter((s) => !exclude.has(s.pid))
        .map((s) => [s.pid, cpuMsOf(s)] as const),
    );
  return { processMs: (u.user + u.system) / 1000, mainThreadMs: main && cpuMsOf(main), children };
}

export interface CpuSpent {
  processMs: number;
  mainThreadMs: number | null;
  /** All descendant processes together (a lower bound: one that exited before `b` is lost). */
  childrenMs: number | null;
  /** By pid, for the descendants alive at `b`. */
  byChild: Map<number, number>;
}

/** CPU ms between two snapshots. A child that started after `a` counts from zero. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuSpent {
  let childrenMs: number | null = null;
  const byChild = new Map<number, number>();
  if (a.children && b.children) {
    childrenMs = 0;
    for (const [pid, ms] of b.children) {
      const spent = ms - (a.children.get(pid) ?? 0);
      byChild.set(pid, spent);
      childrenMs += spent;
    }
  }
  const mainThreadMs = a.mainThreadMs !== null && b.mainThreadMs !== null ? b.mainThreadMs - a.mainThreadMs : null;
  return { processMs: b.processMs - a.processMs, mainThreadMs, childrenMs, byChild };
}

export function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}
