import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EventLog } from '../../../src/http/event-log';
import { LiveFeed } from '../../../src/http/live-feed';
import { LiveFrames } from '../../../src/http/live-frames';
import { LookoutMetrics } from '../../../src/http/metrics';
import { HttpServer } from '../../../src/http/server';
import { TuningSaver } from '../../../src/http/tuning';
import { MAX_BODY_BYTES, UiApi } from '../../../src/http/ui-api';
import { SnapshotStore } from '../../../src/snapshots/store';

const quiet = pino({ level: 'silent' });

const events = new EventLog();
let dir = '';

function ui(saved: unknown[]): UiApi {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ui-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Lookout</title>');
  return new UiApi({
    cameras: () => [{ name: 'front' }],
    uiFps: () => 2,
    hasCamera: (name) => name === 'front',
    frames: new LiveFrames({ latestSeq: () => 4, jpeg: async () => Buffer.from([0xff, 0xd8, 0xff]) }, () => ({ fps: 2, quality: 70 })),
    feed: new LiveFeed({ frames: { subscribe: () => () => undefined }, events, status: () => ({}) }),
    events,
    saver: {
      save: async (camera: string, tuning: unknown) => {
        saved.push({ camera, tuning });
        return { ok: true, file: '/etc/lookout/config.yaml', backup: null, changed: true, restart_needed: [] };
      },
    } as unknown as TuningSaver,
    snapshotDir: () => dir,
    uiDir: dir,
  });
}

describe('the HTTP server', () => {
  const servers: HttpServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  async function start(host: string, secret: string | null, saved: unknown[] = []): Promise<string> {
    const server = new HttpServer({ host, port: 0, secret }, new LookoutMetrics({ version: 'test' }), () => ({ ok: true }), quiet, ui(saved));
    servers.push(server);
    return `http://127.0.0.1:${await server.start()}`;
  }

  test('on localhost: page, picture and API with a CSP that allows nothing from elsewhere; metrics and health as before', async () => {
    const url = await start('127.0.0.1', null);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const frame = await fetch(`${url}/api/cameras/front/frame.jpg`);
    expect([frame.status, frame.headers.get('content-type'), frame.headers.get('x-frame-seq')]).toEqual([200, 'image/jpeg', '4']);
    expect(await (await fetch(`${url}/api/cameras`)).json()).toEqual({ cameras: [{ name: 'front' }], ui: { fps: 2 } });
    expect((await fetch(`${url}/api/cameras/back/frame.jpg`)).status).toBe(404);
    expect((await fetch(`${url}/ui/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/lookout_build_info/);
  });

  test("the last hour's events link their snapshots, which are served by name only", async () => {
    const url = await start('127.0.0.1', null);
    const ev = {
      label: 'person',
      class_id: 1,
      score: 0.9,
      box: [0, 0, 1, 1] as [number, number, number, number],
      zones: [],
      started_at: 1,
      updated_at: 1,
      frames: 3,
    };
    events.add('front', { ...ev, type: 'start', track_id: 41, snapshot: true });
    events.add('front', { ...ev, type: 'update', track_id: 41 });
    const name = SnapshotStore.fileName('front', 41, Date.UTC(2026, 11, 3, 3, 13));
    fs.writeFileSync(path.join(dir, name), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    const body = (await (await fetch(`${url}/api/events?camera=front`)).json()) as { events: { type: string; snapshot_url?: string }[] };
    expect(body.events.map((e) => [e.type, e.snapshot_url ?? null])).toEqual([
      ['update', null],
      ['start', `/api/snapshots/${name}`],
    ]);
    const jpeg = await fetch(`${url}${body.events[1].snapshot_url}`);
    expect([jpeg.status, jpeg.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    expect((await fetch(`${url}/api/snapshots/..%2Findex.html`)).status).toBe(404);
  });

  test('a change needs the same origin, JSON and a bounded body', async () => {
    const saved: unknown[] = [];
    const url = await start('127.0.0.1', null, saved);
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${url}/api/cameras/front/tuning`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const origin = { origin: url.replace('127.0.0.1', '127.0.0.1') };
    expect((await post({}, '{}')).status).toBe(403);
    expect((await post({ origin: 'http://evil.example' }, '{}')).status).toBe(403);
    expect((await post({ ...origin, 'content-type': 'text/plain' }, '{}')).status).toBe(415);
    const big = await post(origin, JSON.stringify({ zones: 'x'.repeat(MAX_BODY_BYTES) }));
    expect(big.status).toBe(413);
    const ok = await post(origin, '{"min_score":0.6}');
    expect(ok.status).toBe(200);
    expect(saved).toEqual([{ camera: 'front', tuning: { min_score: 0.6 } }]);
  });

  test('on localhost the page refuses a Host that is not a loopback name (DNS rebinding)', async () => {
    const url = await start('127.0.0.1', null);
    const { port } = new URL(url);
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/api/cameras', headers: { host: `attacker.example:${port}` } }, (res) => resolve(res.statusCode ?? 0))
        .on('error', reject);
    });
    expect(status).toBe(403);
  });

  test('with a secret every request needs it (401 with a Basic challenge otherwise)', async () => {
    const url = await start('127.0.0.1', 'correct-horse');
    for (const p of ['/', '/api/cameras', '/metrics', '/healthz']) {
      const res = await fetch(`${url}${p}`);
      expect({ p, status: res.status, challenge: res.headers.get('www-authenticate') }).toEqual({
        p,
        status: 401,
        challenge: 'Basic realm="Lookout", charset="UTF-8"',
      });
    }
    expect((await fetch(`${url}/api/cameras`, { headers: { authorization: 'Bearer correct-horse' } })).status).toBe(200);
  });

  test('a non-loopback bind without a secret is refused before listening', () => {
    expect(() => new HttpServer({ host: '0.0.0.0', port: 0, secret: null }, new LookoutMetrics({ version: 'test' }), () => ({ ok: true }), quiet)).toThrow(
      /http\.auth\.secret_file: required when http\.host \(0\.0\.0\.0\)/,
    );
  });
});
