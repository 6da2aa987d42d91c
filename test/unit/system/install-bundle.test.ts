import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A unit test of the script's refusal rules, not an integration test: the bundles here are stand-ins.
// install.sh --bundle refuses what cannot work on this device before touching anything: a bundle
// for another arch, another Debian release, a Node of another ABI (--node), or files that do not
// match SHA256SUMS. The bundles here are small tarballs in the layout scripts/bundle.sh writes (a
// real one takes many minutes to build; scripts/check-arm64.sh installs real ones), with the real
// config, unit and scripts, and this machine's node as the bundled Node.

const root = path.join(__dirname, '..', '..', '..');
const install = path.join(root, 'scripts', 'install.sh');
const hostAbi = process.versions.modules;
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-install-bundle-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeBundle(name: string, fields: Record<string, string>, tamper?: (dir: string) => void): string {
  const top = `lookout-0.1.0-linux-${name}`;
  const dir = path.join(tmp, name, top);
  fs.mkdirSync(path.join(dir, 'node', 'bin'), { recursive: true });
  fs.symlinkSync(process.execPath, path.join(dir, 'node', 'bin', 'node'));
  for (const sub of ['config', 'systemd', 'scripts']) fs.cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'lookout.js'), '// placeholder: not run by --dry-run\n');
  const bundle = {
    NAME: top,
    VERSION: '0.1.0',
    ARCH: 'amd64',
    NODE_VERSION: '22.23.5',
    NODE_ABI: '127',
    DEBIAN_RELEASE: 'bookworm',
    MODELS: '"ssdlite_mobilenet_v2_coco"',
    APT_RUNTIME: '"libopencv-core406 libopencv-videoio406 gstreamer1.0-plugins-good"',
    ...fields,
  };
  fs.writeFileSync(
    path.join(dir, 'BUNDLE'),
    Object.entries(bundle)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(path.relative(dir, p));
    }
  };
  walk(dir);
  const sums = files.sort().map(
    (f) =>
      `${crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, f)))
        .digest('hex')}  ${f}\n`,
  );
  fs.writeFileSync(path.join(dir, 'SHA256SUMS'), sums.join(''));
  tamper?.(dir);
  const tarball = path.join(tmp, `${top}.tar.gz`);
  const r = spawnSync('tar', ['-C', path.dirname(dir), '-czf', tarball, top]);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`);
  return tarball;
}

function installBundle(tarball: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [install, '--dry-run', '--bundle', tarball, '--prefix', path.join(tmp, 'opt', 'lookout'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOOKOUT_INSTALL_ARCH: 'amd64', LOOKOUT_INSTALL_JETSON: '0', LOOKOUT_INSTALL_OS_RELEASE: osRelease('bookworm'), ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function osRelease(codename: string, pretty = `Debian GNU/Linux 12 (${codename})`): string {
  const file = path.join(tmp, `os-release-${codename}`);
  fs.writeFileSync(file, `PRETTY_NAME="${pretty}"\nVERSION_CODENAME=${codename}\n`);
  return file;
}

test('a matching bundle is planned with its apt runtime libraries and its own Node, no setup.sh', () => {
  const r = installBundle(makeBundle('ok', { NODE_ABI: hostAbi }));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('bundle: lookout-0.1.0-linux-ok (for amd64, Debian bookworm, Node 22.23.5)');
  expect(r.stdout).toMatch(/sha256 of \d+ files: ok/);
  expect(r.stdout).toContain(`node: the bundle's Node 22.23.5, installed as ${path.join(tmp, 'opt', 'lookout')}/node/bin/node`);
  expect(r.stdout).toContain('needed: libopencv-core406 libopencv-videoio406 gstreamer1.0-plugins-good');
  expect(r.stdout).toContain('==> install: command /usr/local/bin/lookout');
  expect(r.stdout).not.toContain('setup.sh');
});

test('a bundle for another architecture is refused, naming both and the bundle to use', () => {
  const r = installBundle(makeBundle('arm64', { ARCH: 'arm64' }));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('bundle lookout-0.1.0-linux-arm64 is built for arm64; this machine is amd64. Use lookout-*-linux-x64.tar.gz');
});

test('a bundle on another OS release is refused, naming the system and the way that works there', () => {
  const r = installBundle(makeBundle('jammy', {}), [], { LOOKOUT_INSTALL_OS_RELEASE: osRelease('jammy', 'Ubuntu 22.04.4 LTS') });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("is built against Debian bookworm's OpenCV 4.6 libraries; this system is Ubuntu 22.04.4 LTS (jammy)");
  expect(r.stderr).toContain('Install from a checkout instead');
});

test('--node with another Node ABI than the bundle was built for is refused', () => {
  const r = installBundle(makeBundle('abi', { NODE_ABI: '127' }), ['--node', process.execPath]);
  if (hostAbi === '127') return; // this machine runs Node 22 itself: nothing to refuse
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`is built for Node 22 (ABI 127); ${process.execPath} is Node ${process.versions.node} (ABI ${hostAbi})`);
});

test('a bundle whose files do not match SHA256SUMS is refused, naming the file', () => {
  const r = installBundle(makeBundle('tampered', { NODE_ABI: hostAbi }, (dir) => fs.appendFileSync(path.join(dir, 'bin', 'lookout.js'), 'evil();\n')));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('files do not match SHA256SUMS');
  expect(r.stderr).toContain('bin/lookout.js: FAILED');
});

test('the install.sh inside an unpacked bundle installs that bundle without --bundle', () => {
  const tarball = makeBundle('unpacked', { NODE_ABI: hostAbi });
  const dest = path.join(tmp, 'unpacked-here');
  fs.mkdirSync(dest);
  expect(spawnSync('tar', ['-xzf', tarball, '-C', dest]).status).toBe(0);
  const script = path.join(dest, 'lookout-0.1.0-linux-unpacked', 'scripts', 'install.sh');
  const r = spawnSync('bash', [script, '--dry-run', '--prefix', path.join(tmp, 'opt', 'lookout2')], {
    encoding: 'utf8',
    env: { ...process.env, LOOKOUT_INSTALL_ARCH: 'amd64', LOOKOUT_INSTALL_JETSON: '0', LOOKOUT_INSTALL_OS_RELEASE: osRelease('bookworm') },
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('bundle: lookout-0.1.0-linux-unpacked (for amd64, Debian bookworm, Node 22.23.5)');
  expect(r.stdout).toContain('==> install: runtime libraries (apt)');
  expect(r.stdout).not.toContain('setup.sh');
});
