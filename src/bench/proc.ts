/**
 * What Linux's /proc says about a process: its memory (smaps_rollup) and its CPU time (stat), for
 * the bench's memory and CPU figures. The parsers are pure (text in, numbers out); the readers return
 * null where /proc or the process is missing (another OS, a process that just exited), so a bench on
 * macOS still runs and reports those figures as not measured.
 *
 * Why PSS and not RSS: the daemon and its capture processes are all Node with OpenCV loaded, and RSS
 * counts every shared library page in full in each of them, so RSS summed over processes overstates
 * what they take together. PSS divides each shared page among the processes that map it, so the PSS
 * of the processes adds up. Private_Dirty is what is this process's alone (heaps, arenas): what would
 * go away if the process did.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcMemory {
  rss_kb: number;
  pss_kb: number;
  private_dirty_kb: number;
  /** Part of PSS that is anonymous memory (heaps, arenas), where the kernel says (4.19+ only; else null). */
  pss_anon_kb: number | null;
  /** Part of PSS backed by files (code of Node, OpenCV, ORT), where the kernel says. */
  pss_file_kb: number | null;
  swap_kb: number;
}

/** Parses /proc/<pid>/smaps_rollup (or a whole smaps, whose per-mapping lines are summed). */
export function parseSmapsRollup(text: string): ProcMemory {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s+(\d+) kB$/.exec(line.trim());
    if (m) sums.set(m[1], (sums.get(m[1]) ?? 0) + Number(m[2]));
  }
  if (!sums.has('Rss') || !sums.has('Pss')) throw new Error('not an smaps_rollup: no Rss and Pss lines');
  return {
    rss_kb: sums.get('Rss') ?? 0,
    pss_kb: sums.get('Pss') ?? 0,
    private_dirty_kb: sums.get('Private_Dirty') ?? 0,
    pss_anon_kb: sums.get('Pss_Anon') ?? null,
    pss_file_kb: sums.get('Pss_File') ?? null,
    swap_kb: sums.get('Swap') ?? 0,
  };
}

export interface ProcStat {
  pid: number;
  /** The command name (`comm`), at most 15 characters. */
  comm: string;
  state: string;
  ppid: number;
  /** User and system CPU time in clock ticks (fields 14 and 15). */
  utime: number;
  stime: number;
  num_threads: number;
}

/**
 * Parses /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. The command name in parentheses may hold
 * spaces and parentheses itself; the fields after its last ')' are fixed (state is field 3).
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 60)}`);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field k is rest[k - 3].
  const field = (k: number): number => Number(rest[k - 3]);
  if (rest.length < 18 || !Number.isFinite(field(14))) throw new Error(`a /proc stat line with too few fields: ${text.slice(0, 60)}`);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    num_threads: field(20),
  };
}

let ticksPerSecond: number | undefined;
/** USER_HZ: the unit of utime and stime. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** utime + stime in ms. */
export function cpuMsOf(stat: ProcStat, hz = clockTicks()): number {
  return ((stat.utime + stat.stime) * 1000) / hz;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Memory of one process; null when it is gone or /proc has no smaps_rollup (not Linux, kernel < 4.14). */
export function readMemory(pid: number): ProcMemory | null {
  const text = readText(`/proc/${pid}/smaps_rollup`);
  return text === null ? null : parseSmapsRollup(text);
}

/** /proc/<pid>/stat, or of one thread with `tid` (the main thread's tid is the pid). */
export function readStat(pid: number, tid?: number): ProcStat | null {
  const text = readText(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`);
  return text === null ? null : parseStat(text);
}

/** Every live process's stat; null where /proc cannot be listed. */
export function readAllStats(): ProcStat[] | null {
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The pids descending from `root` (children, their children, …) in `stats`, without `root`. */
export function descendants(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const siblings = byParent.get(s.ppid);
    if (siblings) siblings.push(s);
    else byParent.set(s.ppid, [s]);
  }
  const out: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** What a mapping of /proc/<pid>/smaps holds, coarsely: where a process's PSS goes. */
export function mappingKind(name: string): string {
  if (name === '') return 'anonymous (V8 heap, malloc arenas, thread stacks)';
  if (name === '[heap]') return 'brk heap (malloc)';
  if (name.startsWith('[')) return 'other kernel mappings';
  if (/\/node$|\/nodejs$/.test(name)) return 'node binary';
  if (/libopencv_/.test(name)) return 'OpenCV libraries';
  if (/opencv4nodejs.*\.node$/.test(name)) return 'OpenCV binding';
  if (/onnxruntime/.test(name)) return 'ONNX Runtime';
  if (/lib(avcodec|avformat|avutil|swscale|swresample|x264|x265|dav1d|vpx)/.test(name)) return 'FFmpeg libraries';
  if (/lib(gst|glib|gobject|gio)/.test(name)) return 'GStreamer/GLib libraries';
  if (/\.so(\.|$)|\.node$/.test(name)) return 'other shared libraries';
  if (/\/memfd:|\(deleted\)$/.test(name)) return 'anonymous (V8 heap, malloc arenas, thread stacks)';
  return 'other files';
}

/** PSS in kB by mappingKind() from a whole /proc/<pid>/smaps, largest first. */
export function parsePssByKind(text: string): Array<{ kind: string; pss_kb: number }> {
  const sums = new Map<string, number>();
  let kind = 'other files';
  for (const line of text.split('\n')) {
    // A mapping header: address range, perms, offset, dev, inode, then an optional name.
    const head = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (head) {
      kind = mappingKind(head[1].trim());
      continue;
    }
    const pss = /^Pss:\s+(\d+) kB/.exec(line);
    if (pss) sums.set(kind, (sums.get(kind) ?? 0) + Number(pss[1]));
  }
  return [...sums.entries()].map(([k, pss_kb]) => ({ kind: k, pss_kb })).sort((a, b) => b.pss_kb - a.pss_kb);
}

/** Where one process's PSS goes; null when /proc/<pid>/smaps cannot be read. */
export function readPssByKind(pid: number): Array<{ kind: string; pss_kb: number }> | null {
  const text = readText(`/proc/${pid}/smaps`);
  return text === null ? null : parsePssByKind(text);
}
