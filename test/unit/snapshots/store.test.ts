import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SnapshotStore } from '../../../src/snapshots/store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-snapshots-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const quiet = pino({ level: 'silent' });
const store = (o: Partial<{ maxFiles: number; maxAgeMs: number; maxBytes: number }> = {}, at = path.join(dir, 'snaps')) =>
  new SnapshotStore({ dir: at, maxFiles: 100, maxAgeMs: 86_400_000, maxBytes: 1 << 20, ...o }, quiet);
const jpegs = () => fs.readdirSync(path.join(dir, 'snaps')).filter((f) => f.endsWith('.jpg')).sort();
/** Saves a snapshot whose file time is `ageS` seconds ago (prune goes by file time). */
function saveAged(s: SnapshotStore, trackId: number, ageS: number, bytes = 10): string {
  const now = Date.now();
  const file = s.save('front', trackId, now - ageS * 1000, Buffer.alloc(bytes, 0xff))!;
  fs.utimesSync(file, (now - ageS * 1000) / 1000, (now - ageS * 1000) / 1000);
  return file;
}

describe('SnapshotStore', () => {
  it('writes a file named from camera, track and time only, creating the folder', () => {
    const file = store().save('front', 7, Date.UTC(2026, 10, 26, 12, 0, 0, 5), Buffer.from([0xff, 0xd8]));
    expect(path.basename(file!)).toBe('front-7-2026-11-26T12-00-00-005Z.jpg');
    expect(fs.readFileSync(file!)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(SnapshotStore.fileName('../etc/x y', 1.9, 0)).toBe('___etc_x_y-1-1970-01-01T00-00-00-000Z.jpg');
  });

  it('keeps at most max_files, the newest', () => {
    const s = store({ maxFiles: 3 });
    for (let i = 1; i <= 5; i += 1) saveAged(s, i, 100 - i);
    s.prune();
    expect(jpegs().map((f) => f.split('-')[1])).toEqual(['3', '4', '5']);
  });

  it('removes files older than max_age and keeps the total under max_bytes', () => {
    const s = store({ maxAgeMs: 60_000, maxBytes: 250 });
    saveAged(s, 1, 3600);
    saveAged(s, 2, 30, 100);
    saveAged(s, 3, 20, 100);
    saveAged(s, 4, 10, 100);
    s.prune();
    expect(jpegs().map((f) => f.split('-')[1])).toEqual(['3', '4']);
  });

  it('a folder that cannot be written costs the snapshot, not the caller', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const s = store({}, path.join(blocker, 'snaps'));
    expect(s.save('front', 1, Date.now(), Buffer.alloc(4))).toBeUndefined();
    expect(s.save('front', 2, Date.now(), Buffer.alloc(4))).toBeUndefined();
  });
});
