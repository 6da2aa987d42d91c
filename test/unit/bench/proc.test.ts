import { descendants, mappingKind, parsePssByKind, parseSmapsRollup, parseStat, readMemory, readStat, type ProcStat } from '../../../src/bench/proc';

const ROLLUP = `557f19581000-7ffdbe439000 ---p 00000000 00:00 0                          [rollup]
Rss:              389120 kB
Pss:              280576 kB
Pss_Dirty:        236544 kB
Pss_Anon:         236000 kB
Pss_File:          44576 kB
Pss_Shmem:             0 kB
Shared_Clean:     100352 kB
Shared_Dirty:          0 kB
Private_Clean:     10240 kB
Private_Dirty:    237568 kB
Swap:                512 kB
SwapPss:             512 kB
`;

describe('parseSmapsRollup', () => {
  test('reads RSS, PSS, private dirty, the anonymous/file split and swap in kB', () => {
    expect(parseSmapsRollup(ROLLUP)).toEqual({
      rss_kb: 389120,
      pss_kb: 280576,
      private_dirty_kb: 237568,
      pss_anon_kb: 236000,
      pss_file_kb: 44576,
      swap_kb: 512,
    });
  });

  test('an older kernel without Pss_Anon/Pss_File reports them as unknown, not 0', () => {
    const old = ROLLUP.split('\n')
      .filter((l) => !/^Pss_(Anon|File)/.test(l))
      .join('\n');
    const m = parseSmapsRollup(old);
    expect(m.pss_anon_kb).toBeNull();
    expect(m.pss_file_kb).toBeNull();
    expect(m.pss_kb).toBe(280576);
  });

  test('text without Rss and Pss is refused', () => {
    expect(() => parseSmapsRollup('Name: node\n')).toThrow(/smaps_rollup/);
  });
});

describe('parseStat', () => {
  test('takes the fields after the last parenthesis, so a command name with spaces and ")" does not shift them', () => {
    const line =
      '4242 (node (capture) x) S 4100 4242 4100 0 -1 4194304 1000 0 0 0 731 42 0 0 20 0 11 0 12345 1000000 5000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseStat(line)).toEqual({ pid: 4242, comm: 'node (capture) x', state: 'S', ppid: 4100, utime: 731, stime: 42, num_threads: 11 });
  });

  test('a line that is not a stat line is refused', () => {
    expect(() => parseStat('garbage')).toThrow(/stat/);
    expect(() => parseStat('1 (x) S 0')).toThrow(/too few fields/);
  });

  test('reads this process and its main thread from /proc (Linux)', () => {
    if (process.platform !== 'linux') return;
    const all = readStat(process.pid);
    const main = readStat(process.pid, process.pid);
    expect(all?.pid).toBe(process.pid);
    expect(main?.pid).toBe(process.pid);
    expect(readMemory(process.pid)?.pss_kb).toBeGreaterThan(0);
  });
});

describe('descendants', () => {
  const s = (pid: number, ppid: number): ProcStat => ({ pid, ppid, comm: 'node', state: 'S', utime: 0, stime: 0, num_threads: 1 });
  test('children and grandchildren of the root, not its siblings or parent', () => {
    const stats = [s(1, 0), s(10, 1), s(11, 10), s(12, 10), s(13, 12), s(20, 1), s(21, 20)];
    expect(
      descendants(10, stats)
        .map((d) => d.pid)
        .sort((a, b) => a - b),
    ).toEqual([11, 12, 13]);
    expect(descendants(13, stats)).toEqual([]);
  });
});

describe('PSS by kind of mapping', () => {
  test('names what dominates: anonymous memory, the malloc heap, OpenCV, ONNX Runtime, the node binary', () => {
    expect(mappingKind('')).toMatch(/anonymous/);
    expect(mappingKind('[heap]')).toMatch(/malloc/);
    expect(mappingKind('/usr/bin/node')).toBe('node binary');
    expect(mappingKind('/usr/lib/x86_64-linux-gnu/libopencv_core.so.4.6.0')).toBe('OpenCV libraries');
    expect(mappingKind('/x/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1')).toBe('ONNX Runtime');
    expect(mappingKind('/usr/lib/x86_64-linux-gnu/libavcodec.so.59')).toBe('FFmpeg libraries');
    expect(mappingKind('/usr/lib/x86_64-linux-gnu/libz.so.1')).toBe('other shared libraries');
  });

  test('sums Pss lines under each mapping header, largest first', () => {
    const smaps = [
      '00400000-00500000 r-xp 00000000 08:01 123 /usr/bin/node',
      'Size:               1024 kB',
      'Pss:                 800 kB',
      '7f00-7f10 rw-p 00000000 00:00 0 ',
      'Pss:                5000 kB',
      '7f10-7f20 r-xp 00000000 08:01 9 /usr/lib/libopencv_core.so.406',
      'Pss:                 300 kB',
      '7f20-7f30 rw-p 00000000 00:00 0',
      'Pss:                1000 kB',
      '0100-0200 rw-p 00000000 00:00 0 [heap]',
      'Pss:                2000 kB',
    ].join('\n');
    expect(parsePssByKind(smaps)).toEqual([
      { kind: 'anonymous (V8 heap, malloc arenas, thread stacks)', pss_kb: 6000 },
      { kind: 'brk heap (malloc)', pss_kb: 2000 },
      { kind: 'node binary', pss_kb: 800 },
      { kind: 'OpenCV libraries', pss_kb: 300 },
    ]);
  });
});
