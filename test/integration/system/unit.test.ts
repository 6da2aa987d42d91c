import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_ENV } from '../../../src/system/malloc-tuning';

// The shipped unit checked by systemd's own tools (no running systemd needed). systemd-analyze
// comes with the Debian package "systemd"; a missing tool fails the test rather than skipping it.

const root = path.join(__dirname, '..', '..', '..');
const unitText = readFileSync(path.join(root, 'systemd', 'lookout.service'), 'utf8');
const jetsonDropIn = readFileSync(path.join(root, 'systemd', 'lookout-jetson.conf'), 'utf8');
const notifyAllDropIn = readFileSync(path.join(root, 'systemd', 'lookout-notify-all.conf'), 'utf8');

let dir: string;
beforeAll(() => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`systemd-analyze not available (${probe.error?.message ?? probe.stderr}): install the Debian package "systemd"`);
  }
  dir = mkdtempSync(path.join(os.tmpdir(), 'lookout-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A copy of the unit as install.sh writes it: ExecStart/ExecReload point at the node running this test, since
 * verify insists the binary exists. Drop-ins are appended: later assignments override, as in systemd.
 */
function writeUnit(name: string, ...dropIns: string[]): string {
  const text = [unitText.replace(/^(Exec\w+)=\/usr\/bin\/node /gm, `$1=${process.execPath} `), ...dropIns].join('\n');
  const file = path.join(dir, `${name}.service`);
  writeFileSync(file, text);
  return file;
}

function analyze(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function exposure(file: string): number {
  const { status, out } = analyze('security', '--offline=true', file);
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(out);
  if (!m) throw new Error(`no exposure level in systemd-analyze security output (exit ${status}):\n${out}`);
  return Number(m[1]);
}

const variants: Array<[string, string[]]> = [
  ['lookout', []],
  ['lookout-jetson', [jetsonDropIn]],
  ['lookout-notify-all', [notifyAllDropIn]],
];

describe.each(variants)('%s', (name, dropIns) => {
  test('systemd-analyze verify passes without warnings', () => {
    const { status, out } = analyze('verify', writeUnit(name, ...dropIns));
    expect(out.trim()).toBe('');
    expect(status).toBe(0);
  });

  test('systemd-analyze security --offline rates it 2.0 or lower', () => {
    const level = exposure(writeUnit(name, ...dropIns));
    expect(level).toBeGreaterThan(0);
    expect(level).toBeLessThanOrEqual(2.0);
  });
});

test('the unit keeps the settings the service contract relies on', () => {
  const lines = unitText.split('\n').map((l) => l.trim());
  for (const required of [
    'Type=notify',
    'WatchdogSec=30s',
    'Restart=on-failure',
    'RestartPreventExitStatus=78',
    'StartLimitIntervalSec=0',
    'User=lookout',
    'SupplementaryGroups=video',
    'StateDirectory=lookout',
    'ConfigurationDirectory=lookout',
    'ConfigurationDirectoryMode=2770',
    // /etc/lookout is writable in the sandbox (the page's Save); the secrets' folder stays out of reach.
    'InaccessiblePaths=-/etc/lookout/credentials',
    'SyslogIdentifier=lookout',
    // A refused config makes `systemctl reload` fail instead of exiting 0.
    'ExecReload=/usr/bin/node /opt/lookout/bin/lookout.js config check /etc/lookout/config.yaml',
    'DevicePolicy=closed',
    'DeviceAllow=char-video4linux rw',
    'LoadCredential=mqtt_password:/etc/lookout/credentials/mqtt_password',
  ]) {
    expect(lines).toContain(required);
  }
  // These two break the product: PrivateDevices hides /dev/video*, MemoryDenyWriteExecute aborts V8.
  expect(lines.filter((l) => /^(PrivateDevices|MemoryDenyWriteExecute)=(yes|true|1)$/.test(l))).toEqual([]);
  // Nothing else is writable: the state and configuration directories only.
  expect(lines.filter((l) => /^(ReadWritePaths|BindPaths)=/.test(l))).toEqual([]);
  // Secrets only as credentials.
  expect(lines.filter((l) => /^Environment=.*(PASSWORD|PASSPHRASE|SECRET|TOKEN)/i.test(l))).toEqual([]);
  // The daemon runs with the malloc settings and V8 flags the bench measures it with.
  const environment = lines.filter((l) => l.startsWith('Environment=')).flatMap((l) => l.slice('Environment='.length).split(/\s+/));
  for (const [key, value] of Object.entries(DAEMON_ENV)) expect(environment).toContain(`${key}=${value}`);
  // The Jetson drop-in must un-hide /tmp/argus_socket.
  expect(jetsonDropIn).toMatch(/^PrivateTmp=no$/m);
});
