/**
 * The page's part of the daemon, in-process: with nobody watching, frames cost the page nothing (no
 * listener on the daemon's frames); a connected page gets each frame's detections and the cameras'
 * status, and leaving stops it. Save checks its edit as the daemon reads its config, overrides included.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon';
import { freePort } from '../../../src/net';
import { waitFor } from '../../support/wait-for';
import { configFile, FakeCaptures, FakeDetectors, FakeLink, person } from './doubles';

const quiet = pino({ level: 'silent' });

/** Waits in real time (a socket is part of what is waited for), with the tests' one waitFor. */
const until = (what: string, condition: () => boolean): Promise<boolean> => waitFor(what, condition, { timeoutMs: 10_000, intervalMs: 5 });

describe('the HTTP part (in-process)', () => {
  let daemon: Daemon | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await daemon?.stop('test over');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens to frames only while a page is connected, and then streams their detections', async () => {
    const port = await freePort();
    const cfg = configFile([{ name: 'front', max_fps: 100 }], { http: { enabled: true, host: '127.0.0.1', port } });
    dir = cfg.dir;
    const captures = new FakeCaptures();
    const detectors = new FakeDetectors();
    detectors.found = [person];
    const link = new FakeLink();
    daemon = new Daemon({ loaded: cfg.loaded, logger: quiet, link: link.asLink, loadDetector: detectors.load, openCapture: captures.open });
    await daemon.start();
    const cap = captures.of('front');
    cap.report('streaming');
    for (let i = 0; i < 3; i++) {
      await until('the loop waits for a frame', () => cap.isWaiting);
      cap.frame();
    }
    await until('three detections', () => link.detections === 3);
    expect(daemon.listenerCount('frame')).toBe(0);

    let received = '';
    const req = http.get(`http://127.0.0.1:${port}/api/live`, (res) => res.on('data', (chunk: Buffer) => (received += chunk.toString())));
    await until('the page connected', () => daemon!.listenerCount('frame') === 1 && received.includes('event: status'));
    expect(received).toMatch(/"name":"front","state":"streaming"/);
    await until('the loop waits for a frame', () => cap.isWaiting);
    cap.frame();
    await until('a frame on the live feed', () => received.includes('event: frame'));
    const frame = JSON.parse(/event: frame\ndata: (.*)\n/.exec(received)![1]) as { camera: string; detections: { detections: { label: string }[] } };
    expect(frame.camera).toBe('front');
    expect(frame.detections.detections.map((d) => d.label)).toEqual(['person']);

    req.destroy();
    await until('the page left', () => daemon!.listenerCount('frame') === 0);
  });

  it('Save checks the edited file with the overrides the daemon was started with (--set)', async () => {
    const port = await freePort();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-http-part-'));
    const video = path.join(dir, 'video.avi');
    fs.writeFileSync(video, '');
    const file = path.join(dir, 'config.yaml');
    // Sun-relative times need a location, which this daemon gets from the command line only.
    fs.writeFileSync(
      file,
      [
        '# the page must keep this comment',
        'device: {id: test}',
        `state_dir: ${JSON.stringify(path.join(dir, 'state'))}`,
        `http: {host: 127.0.0.1, port: ${port}}`,
        'adaptive: {enabled: false}',
        'snapshots: {enabled: false}',
        'cameras:',
        '  - name: front',
        `    source: {type: file, path: ${JSON.stringify(video)}, loop: true}`,
        '    schedule:',
        '      - {from: sunset, to: sunrise}',
        '',
      ].join('\n'),
    );
    const overrides = ['schedule.latitude=52.1', 'schedule.longitude=4.3'];
    const read = () => loadConfig({ file, overrides, env: {} });
    const detectors = new FakeDetectors();
    daemon = new Daemon({
      loaded: read(),
      reloadConfig: read,
      logger: quiet,
      link: new FakeLink().asLink,
      loadDetector: detectors.load,
      openCapture: new FakeCaptures().open,
    });
    await daemon.start();

    const zone = {
      name: 'door',
      polygon: [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    };
    const answer = await post(`http://127.0.0.1:${port}/api/cameras/front/tuning`, { zones: [zone] });
    expect((answer.body as { problems?: string[] }).problems).toBeUndefined();
    expect(answer).toMatchObject({ status: 200, body: { ok: true, file } });
    const saved = fs.readFileSync(file, 'utf8');
    expect(saved).toContain('# the page must keep this comment');
    expect(saved).toMatch(/name: door/);
    expect(daemon.config.cameras[0].zones?.map((z) => z.name)).toEqual(['door']);
  });
});

/** A POST as the page makes it (same origin, JSON). */
function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { origin: new URL(url).origin, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
