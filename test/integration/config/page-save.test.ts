/**
 * A save from the page, end to end on real files and the built CLI: the edited text is checked with
 * the loader `lookout config check` uses (same problems, same words), written atomically with a
 * backup, accepted by `lookout config check`, and a refused save is put back byte for byte.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfigText, editCameraTuning, formatProblem, listBackups, restoreBackup, writeFileAtomic } from '../../../src/config';

const ROOT = path.join(__dirname, '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'config', 'lookout.example.yaml');
const lookout = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOOKOUT_CONFIG: '' } });

let dir: string;
let file: string;
let original: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-save-'));
  file = path.join(dir, 'config.yaml');
  original = fs.readFileSync(EXAMPLE, 'utf8');
  fs.writeFileSync(file, original, { mode: 0o640 });
  fs.chmodSync(file, 0o640);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('saving tuning from the page into a real config file', () => {
  test('a new zone and scores: checked, written with a backup, and config check accepts the file', () => {
    const edited = editCameraTuning(fs.readFileSync(file, 'utf8'), 'driveway', {
      zones: [
        {
          name: 'driveway',
          polygon: [
            [0.1, 0.5],
            [0.9, 0.5],
            [0.9, 1.0],
            [0.1, 1.0],
          ],
          objects: ['person', 'car'],
        },
        {
          name: 'yard',
          polygon: [
            [0.05, 0.1],
            [0.4, 0.1],
            [0.4, 0.45],
          ],
        },
      ],
      min_scores: { person: 0.65 },
    });
    expect(checkConfigText(edited, file, { env: {} })).toEqual([]);
    const { backup } = writeFileAtomic(file, edited);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);

    const check = lookout('config', 'check', file);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const printed = lookout('config', 'print', '--config', file, '--json');
    const config = JSON.parse(printed.stdout) as { cameras: { zones: { name: string; polygon: number[][] }[]; objects: { min_scores: unknown } }[] };
    expect(config.cameras[0].zones.map((z) => z.name)).toEqual(['driveway', 'yard']);
    expect(config.cameras[0].zones[1].polygon).toEqual([
      [0.05, 0.1],
      [0.4, 0.1],
      [0.4, 0.45],
    ]);
    expect(config.cameras[0].objects.min_scores).toEqual({ person: 0.65 });

    expect(fs.readFileSync(backup as string, 'utf8')).toBe(original);
    restoreBackup(file, backup as string);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(listBackups(file)).toEqual([backup]);
  });

  test('a bad polygon: the page gets exactly the problems `lookout config check` prints, and nothing is written', () => {
    const bad = editCameraTuning(original, 'driveway', {
      zones: [
        {
          name: 'yard',
          polygon: [
            [0.1, 0.1],
            [1.5, 0.1],
          ],
        },
      ],
      min_score: 0.4,
    });
    const problems = checkConfigText(bad, file, { env: {} });
    expect(problems.map((p) => p.path)).toEqual(['cameras[0].zones[0].polygon', 'cameras[0].zones[0].polygon[1][0]']);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);

    const elsewhere = path.join(dir, 'bad.yaml');
    fs.writeFileSync(elsewhere, bad);
    const check = lookout('config', 'check', elsewhere);
    expect(check.status).toBe(78);
    expect(check.stderr.trim().split('\n')).toEqual(problems.map(formatProblem));
  });
});
