import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';

export interface SnapshotStoreOptions {
  /** Folder for snapshot files (created if missing). */
  dir: string;
  /** Most files kept; the oldest go first. */
  maxFiles: number;
  /** Files older than this are removed. */
  maxAgeMs: number;
  /** Most bytes kept. */
  maxBytes: number;
}

const SAFE = /[^A-Za-z0-9_-]/g;

/**
 * Event snapshots on disk, bounded by count, age and size. A full or read-only disk is reported and
 * survived: the daemon keeps detecting and publishing without snapshots.
 */
export class SnapshotStore {
  private failures = 0;

  constructor(
    private readonly options: SnapshotStoreOptions,
    private readonly logger: Logger,
  ) {}

  /** File name from camera, track and time only, never from labels or payloads that reach us. */
  static fileName(camera: string, trackId: number, atMs: number): string {
    const stamp = new Date(atMs).toISOString().replace(/[:.]/g, '-');
    return `${camera.replace(SAFE, '_')}-${Math.trunc(trackId)}-${stamp}.jpg`;
  }

  /** Writes atomically; returns the path, or undefined when the disk refused (logged). */
  save(camera: string, trackId: number, atMs: number, jpeg: Buffer): string | undefined {
    const file = path.join(this.options.dir, SnapshotStore.fileName(camera, trackId, atMs));
    const tmp = `${file}.tmp`;
    try {
      fs.mkdirSync(this.options.dir, { recursive: true });
      fs.writeFileSync(tmp, jpeg);
      fs.renameSync(tmp, file);
      this.failures = 0;
      this.prune(atMs);
      return file;
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // ENOTDIR and the like: there is no temp file to clean up
      }
      this.failures += 1;
      // Log the first failure and then every 100th: a full disk must not flood the journal.
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn({ dir: this.options.dir, err: (e as Error).message, failures: this.failures }, 'cannot write snapshot; continuing without it');
      }
      return undefined;
    }
  }

  /** Removes files past the age, count and size bounds, oldest first. */
  prune(nowMs: number = Date.now()): number {
    let entries: { file: string; mtimeMs: number; size: number }[];
    try {
      entries = fs
        .readdirSync(this.options.dir)
        .filter((name) => name.endsWith('.jpg'))
        .map((name) => {
          const file = path.join(this.options.dir, name);
          const st = fs.statSync(file);
          return { file, mtimeMs: st.mtimeMs, size: st.size };
        })
        .sort((a, b) => a.mtimeMs - b.mtimeMs);
    } catch {
      return 0;
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    let removed = 0;
    for (let i = 0; i < entries.length; i += 1) {
      const e = entries[i];
      const remaining = entries.length - i;
      const tooOld = nowMs - e.mtimeMs > this.options.maxAgeMs;
      if (!tooOld && remaining <= this.options.maxFiles && total <= this.options.maxBytes) break;
      try {
        fs.unlinkSync(e.file);
        removed += 1;
        total -= e.size;
      } catch {
        // already gone or not ours to remove: next
      }
    }
    return removed;
  }
}
