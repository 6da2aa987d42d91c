/**
 * Replaces a config file so that whoever reads it (the daemon's reload, `lookout config check`, a
 * power cut) sees either the old or the new file, never half of one: the new text goes to a temp file
 * in the same directory, is fsynced, takes the old file's mode and owner (a daemon that is not root
 * keeps a root-owned file's group and mode, and owns it afterwards: see keepOwner), and is renamed over it.
 * The old content is kept as a timestamped backup beside it (`config.yaml.20261203T021500123Z.bak`,
 * the newest few kept), so a save the daemon then refuses can be put back with restoreBackup.
 */
import nodeFs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../util/errors';

/** The file system calls used, so a test can make one fail halfway (a full disk). */
export type WriteFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'statSync'
  | 'fchmodSync'
  | 'fchownSync'
  | 'fstatSync'
  | 'linkSync'
  | 'copyFileSync'
  | 'chmodSync'
  | 'readdirSync'
  | 'readFileSync'
  | 'realpathSync'
>;

export interface AtomicWriteOptions {
  /** Keep the previous content as a backup (default true). */
  backup?: boolean;
  /** How many backups of this file are kept; the oldest go (default 5). */
  keepBackups?: number;
  /** Clock for the backup name (tests). */
  now?: () => Date;
  fs?: WriteFs;
}

export interface AtomicWriteResult {
  /** Path of the backup of the previous content, when there was a previous file and backup was on. */
  backup?: string;
}

/** A write that did not happen; the file is as it was. Names the file and the reason. */
export class ConfigWriteError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ConfigWriteError';
  }
}

const DEFAULT_KEEP = 5;

const stampOf = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('.', '');

/** Backups of `file`, oldest first. */
export function listBackups(file: string, fs: WriteFs = nodeFs): string[] {
  const target = realTarget(path.resolve(file), fs);
  const dir = path.dirname(target);
  const base = path.basename(target);
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d{8}T\\d{9}Z(-\\d+)?\\.bak$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  // `…000Z-1.bak` was made after `…000Z.bak` but sorts before it as text: order by (stamp, n).
  const order = (name: string): string => {
    const m = /\.(\d{8}T\d{9}Z)(?:-(\d+))?\.bak$/.exec(name);
    return `${m?.[1] ?? ''}-${(m?.[2] ?? '0').padStart(6, '0')}`;
  };
  return names
    .filter((n) => pattern.test(n))
    .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
    .map((n) => path.join(dir, n));
}

function whyNot(e: unknown, dir: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `cannot write in ${dir} (${code}): the daemon's user needs write access to the directory to replace the file safely`;
  }
  if (code === 'ENOSPC') return `no space left on the device holding ${dir}`;
  return errorMessage(e);
}

function makeBackup(file: string, now: Date, fs: WriteFs): string {
  let backup = `${file}.${stampOf(now)}.bak`;
  for (let n = 1; exists(fs, backup); n++) backup = `${file}.${stampOf(now)}-${n}.bak`;
  try {
    // A hard link keeps the old inode (content, mode, owner) as the backup; the rename then only
    // moves the name. Copy where links are not possible (some file systems).
    fs.linkSync(file, backup);
  } catch {
    fs.copyFileSync(file, backup);
    fs.chmodSync(backup, fs.statSync(file).mode & 0o7777);
  }
  return backup;
}

function exists(fs: WriteFs, p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function pruneBackups(file: string, keep: number, fs: WriteFs): void {
  const backups = listBackups(file, fs);
  for (const old of backups.slice(0, Math.max(0, backups.length - keep))) {
    try {
      fs.unlinkSync(old);
    } catch {
      // A backup that cannot go is left; the next save tries again.
    }
  }
}

export function writeFileAtomic(file: string, text: string, options: AtomicWriteOptions = {}): AtomicWriteResult {
  const fs = options.fs ?? nodeFs;
  const target = realTarget(path.resolve(file), fs);
  const dir = path.dirname(target);
  let previous: nodeFs.Stats | undefined;
  try {
    previous = fs.statSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigWriteError(target, whyNot(e, dir));
  }
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', previous ? previous.mode & 0o7777 : 0o640);
    const bytes = Buffer.from(text, 'utf8');
    for (let written = 0; written < bytes.length;) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    if (previous) {
      keepOwner(fs, fd, previous);
      // After the owner: a chown clears the setuid/setgid bits a mode may carry.
      fs.fchmodSync(fd, previous.mode & 0o7777);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    removeQuietly(fs, temp);
    // whyNot words the file system's codes; our own code-less errors (the owner) come out as they are.
    throw new ConfigWriteError(target, whyNot(e, dir));
  }
  let backup: string | undefined;
  try {
    if (previous && options.backup !== false) backup = makeBackup(target, (options.now ?? (() => new Date()))(), fs);
    fs.renameSync(temp, target);
  } catch (e) {
    removeQuietly(fs, temp);
    if (backup) removeQuietly(fs, backup);
    throw new ConfigWriteError(target, whyNot(e, dir));
  }
  syncDirectory(dir, fs);
  if (backup) pruneBackups(target, options.keepBackups ?? DEFAULT_KEEP, fs);
  return backup ? { backup } : {};
}

/**
 * The replacement gets the old file's owner and group. A daemon that is not root cannot give a file to
 * root: the installed service saving /etc/lookout/config.yaml (root:lookout, docs/service.md). Then the
 * file becomes the daemon's own, with the old group (and, by the caller, mode): root reads and replaces
 * files whatever their bits, so nobody loses access. A file of any other user, or a group the daemon
 * cannot set, is not replaced: someone would lose access to it. Only what differs is changed: the
 * service may not chown at all (its seccomp filter answers EPERM), and in its setgid folder the temp
 * file has the right group already.
 */
function keepOwner(fs: WriteFs, fd: number, previous: nodeFs.Stats): void {
  const made = fs.fstatSync(fd);
  if (made.uid === previous.uid && made.gid === previous.gid) return;
  const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? errorMessage(e);
  try {
    fs.fchownSync(fd, previous.uid, previous.gid);
    return;
  } catch (e) {
    if (previous.uid !== 0 || code(e) !== 'EPERM') {
      throw new Error(`cannot keep its owner ${previous.uid}:${previous.gid} (${code(e)}); not replaced, so its owner stays`);
    }
  }
  if (made.gid === previous.gid) return;
  try {
    fs.fchownSync(fd, -1, previous.gid);
  } catch (e) {
    throw new Error(`cannot keep its group ${previous.gid} (${code(e)}); not replaced, so the group's access stays`);
  }
}

/** Puts a backup's content back as `file` (atomically, without making a backup of what it replaces). */
export function restoreBackup(file: string, backup: string, options: Omit<AtomicWriteOptions, 'backup'> = {}): void {
  const fs = options.fs ?? nodeFs;
  let text: string;
  try {
    text = fs.readFileSync(backup, 'utf8');
  } catch (e) {
    throw new ConfigWriteError(backup, `cannot read the backup: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  writeFileAtomic(file, text, { ...options, backup: false });
}

/** A config that is a symlink (to a file in a home or a git checkout) stays a symlink: the file it names is replaced. */
function realTarget(file: string, fs: WriteFs): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function removeQuietly(fs: WriteFs, p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // already gone
  }
}

/** The rename is durable only once the directory entry is on disk too. */
function syncDirectory(dir: string, fs: WriteFs): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename has happened either way.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
