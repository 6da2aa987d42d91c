import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic, restoreBackup, listBackups, ConfigWriteError, type WriteFs } from '../../../src/config/write-atomic';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-write-'));
  file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, 'old: 1\n', { mode: 0o640 });
  fs.chmodSync(file, 0o640);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => () => new Date(iso);
const others = () => fs.readdirSync(dir).filter((n) => n !== 'config.yaml' && !n.endsWith('.bak'));

describe('writeFileAtomic', () => {
  test('replaces the file, keeps its mode and keeps the old content as a backup', () => {
    const { backup } = writeFileAtomic(file, 'new: 2\n', { now: at('2026-12-03T02:15:00.123Z') });
    expect(fs.readFileSync(file, 'utf8')).toBe('new: 2\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(backup).toBe(`${file}.20261203T021500123Z.bak`);
    expect(fs.readFileSync(backup as string, 'utf8')).toBe('old: 1\n');
    expect(fs.statSync(backup as string).mode & 0o777).toBe(0o640);
    expect(others()).toEqual([]);
  });

  test('a backup can be put back, and putting it back makes no backup of the refused file', () => {
    const { backup } = writeFileAtomic(file, 'refused: true\n');
    restoreBackup(file, backup as string);
    expect(fs.readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(listBackups(file)).toEqual([backup]);
  });

  test('only the newest backups are kept', () => {
    for (let i = 0; i < 7; i++) writeFileAtomic(file, `v: ${i}\n`, { now: at(`2026-12-03T02:15:0${i}.000Z`), keepBackups: 3 });
    const backups = listBackups(file);
    expect(backups.map((b) => fs.readFileSync(b, 'utf8'))).toEqual(['v: 3\n', 'v: 4\n', 'v: 5\n']);
    expect(fs.readFileSync(file, 'utf8')).toBe('v: 6\n');
  });

  test('two saves in the same millisecond keep both backups', () => {
    writeFileAtomic(file, 'a\n', { now: at('2026-12-03T02:15:00.000Z') });
    writeFileAtomic(file, 'b\n', { now: at('2026-12-03T02:15:00.000Z') });
    expect(listBackups(file).map((b) => fs.readFileSync(b, 'utf8'))).toEqual(['old: 1\n', 'a\n']);
  });

  test('a write that fails halfway (disk full) leaves the old file whole and no temp file behind', () => {
    let calls = 0;
    const failing: WriteFs = {
      ...fs,
      writeSync: ((fd: number, buffer: Buffer, offset: number, length: number) => {
        calls++;
        if (calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return fs.writeSync(fd, buffer, offset, Math.min(length, 4));
      }) as WriteFs['writeSync'],
    };
    const big = 'cameras:\n' + '  - {name: a, source: {type: file, path: /x}}\n'.repeat(100);
    expect(() => writeFileAtomic(file, big, { fs: failing })).toThrow(ConfigWriteError);
    expect(() => writeFileAtomic(file, big, { fs: failing })).toThrow(/no space left on the device holding/);
    expect(fs.readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(others()).toEqual([]);
    expect(listBackups(file)).toEqual([]);
  });

  test('a rename that fails leaves the old file and drops the backup it made', () => {
    const failing: WriteFs = {
      ...fs,
      renameSync: () => {
        throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
      },
    };
    expect(() => writeFileAtomic(file, 'new\n', { fs: failing })).toThrow(`${file}: cannot write in ${dir} (EROFS)`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(others()).toEqual([]);
    expect(listBackups(file)).toEqual([]);
  });

  test('a config that is a symlink stays a symlink; the file it names is replaced', () => {
    const link = path.join(dir, 'link.yaml');
    fs.symlinkSync(file, link);
    const { backup } = writeFileAtomic(link, 'through: link\n');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('through: link\n');
    expect(path.dirname(backup as string)).toBe(dir);
    expect(fs.readFileSync(backup as string, 'utf8')).toBe('old: 1\n');
    expect(listBackups(link)).toEqual([backup]);
  });

  test('a file that does not exist yet is created without a backup', () => {
    const fresh = path.join(dir, 'fresh.yaml');
    expect(writeFileAtomic(fresh, 'x: 1\n')).toEqual({});
    expect(fs.readFileSync(fresh, 'utf8')).toBe('x: 1\n');
  });
});

/**
 * A daemon that is not root replacing a root-owned file (the installed service's
 * /etc/lookout/config.yaml, root:lookout): the file system double reports the old file as root's and
 * refuses to give anything to root, as the kernel does for an unprivileged process.
 */
describe('writeFileAtomic by a daemon that is not root', () => {
  const otherGid = (process.getgid?.() ?? 0) + 4242;
  function asService(owner: { uid: number; gid: number }, refuseGroup = false) {
    const chowns: Array<[number, number]> = [];
    const double: WriteFs = {
      ...fs,
      statSync: ((p: string) => {
        const st = fs.statSync(p);
        return p === file ? Object.assign(st, owner) : st;
      }) as WriteFs['statSync'],
      fchownSync: (_fd, uid, gid) => {
        chowns.push([uid, gid]);
        if (uid !== -1 || refuseGroup) throw Object.assign(new Error('EPERM: operation not permitted, fchown'), { code: 'EPERM' });
      },
    };
    return { double, chowns };
  }

  test('a root-owned file is replaced, keeping its group and mode; the daemon owns the new one', () => {
    const { double, chowns } = asService({ uid: 0, gid: otherGid });
    const { backup } = writeFileAtomic(file, 'saved: 1\n', { fs: double });
    expect(fs.readFileSync(file, 'utf8')).toBe('saved: 1\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(chowns).toEqual([
      [0, otherGid],
      [-1, otherGid],
    ]);
    expect(fs.readFileSync(backup as string, 'utf8')).toBe('old: 1\n');
    expect(others()).toEqual([]);
  });

  test("with every chown refused (the service's seccomp filter), a root-owned file in the temp file's group is replaced", () => {
    const { double, chowns } = asService({ uid: 0, gid: fs.statSync(dir).gid }, true);
    writeFileAtomic(file, 'saved: 1\n', { fs: double });
    expect(fs.readFileSync(file, 'utf8')).toBe('saved: 1\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(chowns.filter(([uid]) => uid === -1)).toEqual([]);
  });

  test("a group the daemon cannot set: not replaced, and the error says the group's access stays", () => {
    const { double } = asService({ uid: 0, gid: otherGid }, true);
    expect(() => writeFileAtomic(file, 'saved: 1\n', { fs: double })).toThrow(`cannot keep its group ${otherGid} (EPERM)`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(others()).toEqual([]);
    expect(listBackups(file)).toEqual([]);
  });

  test('a file of another user (not root) is not taken over: that user would lose access', () => {
    const { double } = asService({ uid: 4242, gid: otherGid });
    expect(() => writeFileAtomic(file, 'saved: 1\n', { fs: double })).toThrow(`cannot keep its owner 4242:${otherGid} (EPERM)`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(others()).toEqual([]);
    expect(listBackups(file)).toEqual([]);
  });
});
