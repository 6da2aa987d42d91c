import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// scripts/lib/bundle-deps.js decides which node_modules a bundle carries (scripts/bundle.sh, also with
// --repack) and is the bundle's check that none is missing: a production package added to
// package.json after the last full build once reached devices missing (MODULE_NOT_FOUND). The trees
// here are small stand-ins with a real package-lock.json layout (lockfileVersion 3).

const script = path.join(__dirname, '..', '..', '..', 'scripts', 'lib', 'bundle-deps.js');
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bundle-deps-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LOCK = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { sched: '2.1.1' }, optionalDependencies: { dgram: '2.0.7' }, devDependencies: { tester: '29.0.0' } },
    'node_modules/sched': { version: '2.1.1', dependencies: { timeout: '0.1.1', parser: '4.9.0' } },
    'node_modules/timeout': { version: '0.1.1' },
    'node_modules/parser': { version: '4.9.0' },
    'node_modules/sched/node_modules/parser': { version: '3.0.0' },
    'node_modules/dgram': { version: '2.0.7', optional: true },
    'node_modules/tester': { version: '29.0.0', dev: true },
  },
};

/** A project folder: package.json, the lock above and these installed packages (lock path -> version). */
function tree(name: string, installed: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { sched: '2.1.1' }, optionalDependencies: { dgram: '2.0.7' } }),
  );
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(LOCK));
  for (const [key, version] of Object.entries(installed)) {
    fs.mkdirSync(path.join(dir, key), { recursive: true });
    const pkgName = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    fs.writeFileSync(path.join(dir, key, 'package.json'), JSON.stringify({ name: pkgName, version, main: 'index.js' }));
    fs.writeFileSync(path.join(dir, key, 'index.js'), 'module.exports = 1;\n');
  }
  return dir;
}

function run(cmd: string, dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, cmd, dir], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMPLETE = {
  'node_modules/sched': '2.1.1',
  'node_modules/timeout': '0.1.1',
  'node_modules/parser': '4.9.0',
  'node_modules/sched/node_modules/parser': '3.0.0',
};

test('a tree with every production package at its locked version passes; the optional one may be absent', () => {
  const dir = tree('complete', COMPLETE);
  const r = run('check', dir);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^4 production packages/);
  expect(run('require', dir).status).toBe(0);
});

test('paths lists the top-level production folders to copy, not dev-only ones, and names what the source lacks', () => {
  const dir = tree('source', { ...COMPLETE, 'node_modules/tester': '29.0.0', 'node_modules/dgram': '2.0.7' });
  const r = run('paths', dir);
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n').sort()).toEqual(['node_modules/dgram', 'node_modules/parser', 'node_modules/sched', 'node_modules/timeout']);

  const stale = tree('stale-source', { 'node_modules/sched': '2.1.1', 'node_modules/parser': '4.9.0' });
  const s = run('paths', stale);
  expect(s.status).toBe(1);
  expect(s.stderr).toMatch(/lacks production packages of package-lock\.json: timeout@0\.1\.1/);
});

test('check names a missing package, one at another version and one the lock does not ship', () => {
  const dir = tree('drifted', {
    'node_modules/sched': '2.1.1',
    'node_modules/parser': '4.8.0',
    'node_modules/sched/node_modules/parser': '3.0.0',
    'node_modules/tester': '29.0.0',
  });
  const r = run('check', dir);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/missing node_modules\/timeout \(0\.1\.1 locked\)/);
  expect(r.stderr).toMatch(/node_modules\/parser is 4\.8\.0; package-lock\.json has 4\.9\.0/);
  expect(r.stderr).toMatch(/node_modules\/tester is not a production package/);
});

test('require and resolve name a dependency of package.json that the tree lacks, even with one further up', () => {
  // The outer folder has sched, as a clone's node_modules has around .cache/bundle/: it must not count.
  const outer = tree('outer', COMPLETE);
  const inner = path.join(outer, 'stage');
  fs.mkdirSync(inner);
  fs.copyFileSync(path.join(outer, 'package.json'), path.join(inner, 'package.json'));
  fs.copyFileSync(path.join(outer, 'package-lock.json'), path.join(inner, 'package-lock.json'));
  for (const cmd of ['require', 'resolve']) {
    const r = run(cmd, inner);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`do not ${cmd} from .*\\n.*sched: not in .*stage/node_modules`));
  }
});
