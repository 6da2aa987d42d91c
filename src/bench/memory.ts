/**
 * Resource counters for the pipeline run: RSS of this process, and CPU time of this process plus
 * its child processes. The daemon runs each camera's capture in a child process (see
 * src/capture/capture-child.ts), whose CPU process.cpuUsage() does not see; it is read from
 * /proc/<pid>/stat of every live child of this process (Linux only; elsewhere it is reported as
 * null). A broker the bench itself started is left out by pid.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** utime + stime (ms) by pid of this process's live children, except `exclude`; null off Linux. */
export function childCpuMs(exclude: ReadonlySet<number> = new Set()): Map<number, number> | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  const hz = clockTicks();
  for (const p of pids) {
    const pid = Number(p);
    if (exclude.has(pid)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The command name in parentheses may hold spaces; fields after its closing ')' are fixed:
    // state ppid ... utime(14) stime(15), counted from 1 over the whole line.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) !== process.pid) continue;
    out.set(pid, ((Number(rest[11]) + Number(rest[12])) * 1000) / hz);
  }
  return out;
}

export interface CpuSnapshot {
  /** This process, all threads (main, inference worker, ORT and libuv pools). */
  processMs: number;
  children: Map<number, number> | null;
}

export function cpuSnapshot(exclude: ReadonlySet<number>): CpuSnapshot {
  const u = process.cpuUsage();
  return { processMs: (u.user + u.system) / 1000, children: childCpuMs(exclude) };
}

/**
 * CPU ms between two snapshots. A child that started after `a` counts from zero; one that exited
 * before `b` is lost (a capture process restarted mid-run), so the child figure is a lower bound.
 */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): { processMs: number; childrenMs: number | null } {
  let childrenMs: number | null = null;
  if (a.children && b.children) {
    childrenMs = 0;
    for (const [pid, ms] of b.children) childrenMs += ms - (a.children.get(pid) ?? 0);
  }
  return { processMs: b.processMs - a.processMs, childrenMs };
}

export function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}
