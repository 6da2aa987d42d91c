import fs from 'node:fs';
import path from 'node:path';
import type { LookoutConfig } from '../config';
import type { Logger } from '../log';
import { every, type Periodic } from '../schedule/periodic';

export interface SnapshotStoreOptions {
  /** Folder for snapshot files (created if missing). */
  dir: string;
  /** Most files kept; the oldest go first. */
  maxFiles: number;
  /** Files older than this are removed. */
  maxAgeMs: number;
  /** Most bytes kept. */
  maxBytes: number;
  /** How often the bounds are enforced once started; default one minute. */
  pruneEveryMs?: number;
}

const SAFE = /[^A-Za-z0-9_-]/g;

/**
 * Event snapshots on disk, bounded by count, age and size. A full or read-only disk is reported and
 * survived: the daemon keeps detecting and publishing without snapshots. Writes and pruning are
 * asynchronous and pruning runs as a periodic job, not after each write: listing and stat-ing up to
 * max_files files on a frame's path held every camera's next frame back on a slow SD card.
 */
export class SnapshotStore {
  private failures = 0;
  private job: Periodic | null = null;
  private pruning: Promise<number> | null = null;

  /** The store a config asks for: `<state_dir>/snapshots`, with the `snapshots.*` limits. */
  static forConfig(c: Pick<LookoutConfig, 'state_dir' | 'snapshots'>, logger: Logger): SnapshotStore {
    return new SnapshotStore(
      {
        dir: path.join(c.state_dir, 'snapshots'),
        maxFiles: c.snapshots.max_files,
        maxAgeMs: c.snapshots.max_age_days * 86_400_000,
        maxBytes: c.snapshots.max_mb * 1024 * 1024,
      },
      logger.child({ component: 'snapshots' }),
    );
  }

  constructor(
    private readonly options: SnapshotStoreOptions,
    private readonly logger: Logger,
  ) {}

  /** File name from camera, track and time only, never from labels or payloads that reach us. */
  static fileName(camera: string, trackId: number, atMs: number): string {
    const stamp = new Date(atMs).toISOString().replace(/[:.]/g, '-');
    return `${camera.replace(SAFE, '_')}-${Math.trunc(trackId)}-${stamp}.jpg`;
  }

  /** Prunes now and then at the interval (a node-schedule job), until stop(). */
  start(): void {
    if (this.job) return;
    this.job = every(this.options.pruneEveryMs ?? 60_000, () => this.prune(), { name: 'snapshot retention', log: this.logger, runNow: true });
  }

  stop(): void {
    this.job?.cancel();
    this.job = null;
  }

  /** Writes atomically; resolves to the path, or undefined when the disk refused (logged). Never rejects. */
  async save(camera: string, trackId: number, atMs: number, jpeg: Buffer): Promise<string | undefined> {
    const file = path.join(this.options.dir, SnapshotStore.fileName(camera, trackId, atMs));
    const tmp = `${file}.tmp`;
    try {
      await fs.promises.mkdir(this.options.dir, { recursive: true });
      await fs.promises.writeFile(tmp, jpeg);
      await fs.promises.rename(tmp, file);
      this.failures = 0;
      return file;
    } catch (e) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      this.failures += 1;
      // Log the first failure and then every 100th: a full disk must not flood the journal.
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn({ dir: this.options.dir, err: e, failures: this.failures }, 'cannot write snapshot; continuing without it');
      }
      return undefined;
    }
  }

  /** Removes files past the age, count and size bounds, oldest first; one sweep at a time. */
  prune(nowMs: number = Date.now()): Promise<number> {
    this.pruning ??= this.sweep(nowMs).finally(() => (this.pruning = null));
    return this.pruning;
  }

  private async sweep(nowMs: number): Promise<number> {
    let entries: { file: string; mtimeMs: number; size: number }[];
    try {
      const names = (await fs.promises.readdir(this.options.dir)).filter((name) => name.endsWith('.jpg'));
      const stats = await Promise.all(
        names.map(async (name) => {
          const file = path.join(this.options.dir, name);
          const st = await fs.promises.stat(file).catch(() => null);
          return st ? { file, mtimeMs: st.mtimeMs, size: st.size } : null;
        }),
      );
      entries = stats.filter((e): e is NonNullable<typeof e> => e !== null).sort((a, b) => a.mtimeMs - b.mtimeMs);
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
        await fs.promises.unlink(e.file);
        removed += 1;
        total -= e.size;
      } catch {
        // already gone or not ours to remove: next
      }
    }
    return removed;
  }
}
