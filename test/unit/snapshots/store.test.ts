import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SnapshotStore } from '../../../src/snapshots/store';
import { expectNoJobsLeft } from '../../support/schedule-clock';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-snapshots-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  // Every test that starts a store stops it.
  expectNoJobsLeft();
});

const quiet = pino({ level: 'silent' });
const store = (o: Partial<{ maxFiles: number; maxAgeMs: number; maxBytes: number; pruneEveryMs: number }> = {}, at = path.join(dir, 'snaps')) =>
  new SnapshotStore({ dir: at, maxFiles: 100, maxAgeMs: 86_400_000, maxBytes: 1 << 20, ...o }, quiet);
const jpegs = () =>
  fs
    .readdirSync(path.join(dir, 'snaps'))
    .filter((f) => f.endsWith('.jpg'))
    .sort();
/** Saves a snapshot whose file time is `ageS` seconds ago (prune goes by file time). */
async function saveAged(s: SnapshotStore, trackId: number, ageS: number, bytes = 10): Promise<string> {
  const now = Date.now();
  const file = (await s.save('front', trackId, now - ageS * 1000, Buffer.alloc(bytes, 0xff)))!;
  fs.utimesSync(file, (now - ageS * 1000) / 1000, (now - ageS * 1000) / 1000);
  return file;
}

describe('SnapshotStore', () => {
  it('writes a file named from camera, track and time only, creating the folder', async () => {
    const file = await store().save('front', 7, Date.UTC(2026, 10, 26, 12, 0, 0, 5), Buffer.from([0xff, 0xd8]));
    expect(path.basename(file!)).toBe('front-7-2026-11-26T12-00-00-005Z.jpg');
    expect(fs.readFileSync(file!)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(SnapshotStore.fileName('../etc/x y', 1.9, 0)).toBe('___etc_x_y-1-1970-01-01T00-00-00-000Z.jpg');
  });

  it('keeps at most max_files, the newest', async () => {
    const s = store({ maxFiles: 3 });
    for (let i = 1; i <= 5; i += 1) await saveAged(s, i, 100 - i);
    await s.prune();
    expect(jpegs().map((f) => f.split('-')[1])).toEqual(['3', '4', '5']);
  });

  it('removes files older than max_age and keeps the total under max_bytes', async () => {
    const s = store({ maxAgeMs: 60_000, maxBytes: 250 });
    await saveAged(s, 1, 3600);
    await saveAged(s, 2, 30, 100);
    await saveAged(s, 3, 20, 100);
    await saveAged(s, 4, 10, 100);
    await s.prune();
    expect(jpegs().map((f) => f.split('-')[1])).toEqual(['3', '4']);
  });

  it('a folder that cannot be written costs the snapshot, not the caller', async () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const s = store({}, path.join(blocker, 'snaps'));
    await expect(s.save('front', 1, Date.now(), Buffer.alloc(4))).resolves.toBeUndefined();
    await expect(s.save('front', 2, Date.now(), Buffer.alloc(4))).resolves.toBeUndefined();
  });

  it('writing does not prune; the bounds are enforced when started and then at its interval', async () => {
    const s = store({ maxFiles: 2, pruneEveryMs: 60_000 });
    for (let i = 1; i <= 4; i += 1) await saveAged(s, i, 100 - i);
    expect(jpegs()).toHaveLength(4);
    const sweeps = jest.spyOn(s, 'prune');
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      s.start();
      await sweeps.mock.results[0].value;
      expect(jpegs().map((f) => f.split('-')[1])).toEqual(['3', '4']);
      await saveAged(s, 5, 1);
      jest.advanceTimersByTime(60_000);
      expect(sweeps).toHaveBeenCalledTimes(2);
      await sweeps.mock.results[1].value;
      expect(jpegs().map((f) => f.split('-')[1])).toEqual(['4', '5']);
      s.stop();
      jest.advanceTimersByTime(600_000);
      expect(sweeps).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a sweep that fails is logged, and the next minute sweeps again', async () => {
    const lines: Array<{ level: number; job?: string; err?: { message: string } }> = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const s = new SnapshotStore({ dir: path.join(dir, 'snaps'), maxFiles: 2, maxAgeMs: 86_400_000, maxBytes: 1 << 20 }, log);
    for (let i = 1; i <= 3; i += 1) await saveAged(s, i, 100 - i);
    const sweeps = jest.spyOn(s, 'prune').mockRejectedValueOnce(new Error('EIO: i/o error, scandir'));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      s.start();
      await Promise.resolve();
      expect(lines.filter((l) => l.level === 50).map((l) => [l.job, l.err?.message])).toEqual([['snapshot retention', 'EIO: i/o error, scandir']]);
      expect(jpegs()).toHaveLength(3);
      jest.advanceTimersByTime(60_000);
      await sweeps.mock.results[1].value;
      expect(jpegs().map((f) => f.split('-')[1])).toEqual(['2', '3']);
    } finally {
      s.stop();
      jest.useRealTimers();
    }
  });
});
