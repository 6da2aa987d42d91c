import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// install.sh / uninstall.sh on this machine: no running systemd here, so --dry-run, which must
// plan every step, change nothing, and refuse unsupported platforms with a clear message.

const root = path.join(__dirname, '..', '..', '..');
const install = path.join(root, 'scripts', 'install.sh');
const uninstall = path.join(root, 'scripts', 'uninstall.sh');
let tmp: string;
let prefix: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lookout-install-'));
  prefix = path.join(tmp, 'opt', 'lookout');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sh(script: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOOKOUT_INSTALL_NODE: process.execPath, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Index of the first line containing text, failing with the whole output when absent. */
function lineOf(out: string, text: string): number {
  const i = out.split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" not in output:\n${out}`);
  return i;
}

test('--dry-run plans every step in order, exits 0 and changes nothing', () => {
  const r = sh(install, ['--dry-run', '--prefix', prefix], { LOOKOUT_INSTALL_JETSON: '0' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const order = [
    '==> install: check platform',
    `node: ${process.execPath}`,
    "==> install: system user 'lookout'",
    `==> install: program files → ${prefix}`,
    `${prefix}/scripts/setup.sh`,
    '==> install: configuration in /etc/lookout',
    // Group-writable (and setgid) for the page's Save; an upgrade fixes an older 0750.
    'would run: install -d -o root -g lookout -m 2770 /etc/lookout',
    'would run: install -d -o root -g root -m 0700 /etc/lookout/credentials',
    '/etc/lookout/credentials/mqtt_password',
    '==> install: systemd unit',
    `ExecStart=${process.execPath} ${prefix}/bin/lookout.js run --config /etc/lookout/config.yaml`,
    'config check /etc/lookout/config.yaml',
    'would run: systemctl enable lookout.service',
    'would run: systemctl restart lookout.service',
    '==> install: done (dry run: nothing was changed)',
    'journalctl -u lookout -f',
    "mosquitto_sub -h localhost -t 'lookout/#' -v",
  ];
  const positions = order.map((t) => lineOf(r.stdout, t));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(r.stdout).not.toContain('jetson.conf');
  expect(existsSync(path.join(tmp, 'opt'))).toBe(false);
});

test('--no-start enables without starting; a Jetson gets its drop-in', () => {
  const r = sh(install, ['--dry-run', '--no-start', `--prefix=${prefix}`], { LOOKOUT_INSTALL_JETSON: '1' });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('would run: systemctl enable lookout.service');
  expect(r.stdout).not.toContain('systemctl restart');
  expect(r.stdout).toContain('NVIDIA Jetson detected');
  expect(r.stdout).toMatch(/install -m 0644 \S+\/systemd\/lookout-jetson\.conf \/etc\/systemd\/system\/lookout\.service\.d\/jetson\.conf/);
});

test.each([
  ['armhf', '32', /32-bit userland \(armhf\).*needs a 64-bit OS/],
  ['arm64', '32', /32-bit userland \(getconf LONG_BIT = 32\).*needs a 64-bit OS/],
  ['armel', '32', /32-bit userland \(armel\)/],
  ['riscv64', '64', /unsupported architecture 'riscv64'/],
])('arch %s with LONG_BIT %s is refused with a clear message', (arch, bits, message) => {
  const r = sh(install, ['--dry-run'], { LOOKOUT_INSTALL_ARCH: arch, LOOKOUT_INSTALL_LONG_BIT: bits });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).not.toContain('system user');
});

test('a Node.js older than 20 is refused; a missing one too', () => {
  // A stand-in "node" that reports an old version: the check must read the version, not assume it.
  const oldNode = path.join(tmp, 'node18');
  writeFileSync(oldNode, '#!/bin/sh\necho 18.19.1\n');
  chmodSync(oldNode, 0o755);
  const old = sh(install, ['--dry-run'], { LOOKOUT_INSTALL_NODE: oldNode });
  expect(old.status).toBe(1);
  expect(old.stderr).toMatch(/Node\.js 18\.19\.1 .* too old: need 20 or newer \(22 LTS recommended\)/);

  const missing = sh(install, ['--dry-run'], { LOOKOUT_INSTALL_NODE: path.join(tmp, 'no-such-node') });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/not executable|not found/);
});

test('bad arguments: exit 2 with usage; a relative prefix is refused', () => {
  const bad = sh(install, ['--frobnicate']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain("unknown argument '--frobnicate'");
  const rel = sh(install, ['--dry-run', '--prefix', 'opt/lookout']);
  expect(rel.status).toBe(1);
  expect(rel.stderr).toContain('--prefix must be an absolute path');
});

test('uninstall --dry-run keeps config and state unless --purge', () => {
  const keep = sh(uninstall, ['--dry-run', '--prefix', prefix]);
  expect(keep.status).toBe(0);
  expect(keep.stdout).toContain('would run: rm -f /etc/systemd/system/lookout.service');
  expect(keep.stdout).toContain(`would run: rm -rf ${prefix}`);
  expect(keep.stdout).toContain('kept: /etc/lookout');
  expect(keep.stdout).not.toContain('rm -rf /etc/lookout');

  const purge = sh(uninstall, ['--dry-run', '--purge', '--prefix', prefix]);
  expect(purge.status).toBe(0);
  expect(purge.stdout).toContain('would run: rm -rf /etc/lookout /var/lib/lookout');

  const dangerous = sh(uninstall, ['--dry-run', '--prefix', '/usr']);
  expect(dangerous.status).toBe(1);
  expect(dangerous.stderr).toContain("refusing to remove '/usr'");
});

test('--help is the header text, without a line of the script itself', () => {
  const r = sh(install, ['--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('--mqtt-url URL');
  expect(r.stdout).toContain('--with-broker');
  expect(r.stdout).not.toMatch(/set -euo pipefail|^SRC=|usage\(\)/m);
});

test('a first install: a starter config on the named broker with the password as a credential, no local broker', () => {
  const r = sh(
    install,
    ['--dry-run', '--prefix', prefix, '--mqtt-url', 'mqtt://homeassistant.local:1883', '--mqtt-user', 'lookout', '--camera', '/dev/video2'],
    {
      LOOKOUT_INSTALL_JETSON: '0',
      LOOKOUT_MQTT_PASSWORD: 'hunter2',
    },
  );
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(
    'would write: /etc/lookout/config.yaml (starter: lookout config starter --mqtt-url mqtt://homeassistant.local:1883 --camera /dev/video2 --mqtt-user lookout)',
  );
  expect(r.stdout).toContain('config.example.yaml');
  expect(r.stdout).toContain("would write: /etc/lookout/credentials/mqtt_password (the password for 'lookout')");
  expect(r.stdout).not.toContain('hunter2');
  expect(r.stdout).not.toContain('local MQTT broker');
  expect(r.stdout).toMatch(/broker: +mqtt:\/\/homeassistant\.local:1883\n/);
});

test('without --mqtt-url a first install sets up a local broker and says why', () => {
  const r = sh(install, ['--dry-run', '--prefix', prefix], { LOOKOUT_INSTALL_JETSON: '0' });
  expect(r.status).toBe(0);
  expect(lineOf(r.stdout, '==> install: local MQTT broker (Mosquitto)')).toBeLessThan(lineOf(r.stdout, '==> install: configuration in /etc/lookout'));
  expect(r.stdout).toContain('why: no --mqtt-url given');
  expect(r.stdout).toContain('would run: systemctl enable --now mosquitto.service');
  expect(r.stdout).toContain('setup.sh --no-demo');
});
