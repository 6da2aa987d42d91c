/**
 * The page's part of the daemon, in-process: with nobody watching, frames cost the page nothing (no
 * listener on the daemon's frames); a connected page gets each frame's detections and the cameras'
 * status, and leaving stops it.
 */
import fs from 'node:fs';
import http from 'node:http';
import pino from 'pino';
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
});
