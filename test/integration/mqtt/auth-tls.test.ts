// Brokers that check who connects: a password file (right and wrong password, MQTT 5 and 3.1.1) and
// TLS with a CA the test creates (right CA, unknown CA, verification switched off on purpose).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MqttLink, type MqttLinkOptions } from '../../../src/mqtt';
import { createServerCert, createTestCa, Mosquitto } from '../../support/mosquitto';
import { captureLogger, Subscriber, waitUntil } from './helpers';

const quick = { backoff: { initialMs: 100, maxMs: 400 }, discovery: { enabled: false } };

async function withLink(options: MqttLinkOptions, body: (link: MqttLink, log: ReturnType<typeof captureLogger>) => Promise<void>): Promise<void> {
  const log = captureLogger();
  const link = new MqttLink(options, log.logger);
  try {
    await link.start();
    await body(link, log);
  } finally {
    await link.stop();
  }
}

describe('broker with a password file', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start({ users: { lookout: 's3cret pass', watcher: 'w' } });
  });
  afterAll(async () => broker.stop());

  it('connects with the right password and publishes', async () => {
    const sub = await Subscriber.connect(broker.url, ['lookout/auth-ok/#'], { username: 'watcher', password: 'w' });
    try {
      await withLink({ url: broker.url, deviceId: 'auth-ok', username: 'lookout', password: 's3cret pass', ...quick }, async (link) => {
        expect(await link.whenConnected(10_000)).toBe(true);
        link.publishEvent('front', {
          type: 'start',
          track_id: 1,
          label: 'cat',
          score: 0.8,
          box: [0, 0, 1, 1],
          zones: [],
          started_at: 1,
          updated_at: 1,
          frames: 1,
        });
        await waitUntil('event', () => sub.on('lookout/auth-ok/front/events').length === 1);
      });
    } finally {
      await sub.close();
    }
  });

  it.each([5, 4] as const)('wrong password (MQTT protocol %s): clear error, no crash, keeps retrying with backoff', async (protocolVersion) => {
    await withLink(
      { url: broker.url, deviceId: `auth-bad-${protocolVersion}`, username: 'lookout', password: 'wrong', protocolVersion, ...quick },
      async (link, log) => {
        await waitUntil('three refused attempts', () => link.counters().reconnects >= 3);
        expect(link.counters().connected).toBe(false);
        const errors = log.lines.filter((l) => l.level === 50).map((l) => l.msg);
        expect(errors.some((m) => /refused the connection: (Not authorized|Bad User Name or Password).*username and password/i.test(m))).toBe(true);
        // Said once, not at every retry.
        expect(errors.filter((m) => /refused the connection/.test(m))).toHaveLength(1);
        expect(log.text()).not.toContain('wrong');
      },
    );
  });
});

describe('broker with TLS', () => {
  let broker: Mosquitto;
  let dir: string;
  let caCert: string;
  let otherCa: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-tls-'));
    const ca = createTestCa(path.join(dir, 'ca'));
    const server = createServerCert(ca);
    otherCa = createTestCa(path.join(dir, 'other'), 'Somebody Else CA').caCert;
    caCert = ca.caCert;
    broker = await Mosquitto.start({ tls: { ca: ca.caCert, cert: server.cert, key: server.key } });
  });
  afterAll(async () => {
    await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and publishes over mqtts', async () => {
    const sub = await Subscriber.connect(broker.url, ['lookout/tls-ok/#'], { ca: fs.readFileSync(caCert) });
    try {
      await withLink({ url: broker.url, deviceId: 'tls-ok', tls: { ca: caCert }, ...quick }, async (link, log) => {
        expect(await link.whenConnected(10_000)).toBe(true);
        link.setStatus('front', { state: 'streaming', reason: null, since: 1 });
        await waitUntil('status over TLS', () => sub.on('lookout/tls-ok/front/status').length === 1);
        expect(log.lines.filter((l) => l.level >= 40)).toEqual([]);
      });
    } finally {
      await sub.close();
    }
  });

  it('an unknown CA fails with a clear error and never falls back to an unverified connection', async () => {
    await withLink({ url: broker.url, deviceId: 'tls-bad', tls: { ca: otherCa }, ...quick }, async (link, log) => {
      await waitUntil('two failed attempts', () => link.counters().reconnects >= 2);
      expect(link.counters().connected).toBe(false);
      expect(log.lines.some((l) => l.level === 50 && /TLS handshake failed: .*(self[- ]signed|unable to verify|certificate)/i.test(l.msg))).toBe(true);
    });
  });

  it('verification switched off connects, with a WARN line at every connect', async () => {
    await withLink({ url: broker.url, deviceId: 'tls-off', tls: { rejectUnauthorized: false }, ...quick }, async (link, log) => {
      expect(await link.whenConnected(10_000)).toBe(true);
      expect(log.lines.some((l) => l.level === 40 && /verification is OFF/.test(l.msg))).toBe(true);
    });
  });

  it('an unreadable CA file is a configuration error naming the file', async () => {
    const link = new MqttLink({ url: broker.url, deviceId: 'tls-missing', tls: { ca: path.join(dir, 'nope.crt') }, ...quick }, captureLogger().logger);
    await expect(link.start()).rejects.toThrow(/TLS ca file '.*nope\.crt' cannot be read/);
    await link.stop();
  });
});
