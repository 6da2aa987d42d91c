/**
 * The daemon in-process, with doubles of its MQTT link, detector and captures: what a user sees on
 * MQTT when cameras start, stream, fail, get commands, and when the config is reloaded.
 */
import fs from 'node:fs';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon';
import { configFile, FakeCaptures, FakeDetectors, FakeLink, person, until } from './doubles';

const quiet = pino({ level: 'silent' });
const daemons: Daemon[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('test over')));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(cameras: unknown[], extra: Record<string, unknown> = {}) {
  const cfg = configFile(cameras, extra);
  dirs.push(cfg.dir);
  const link = new FakeLink();
  const captures = new FakeCaptures();
  const detectors = new FakeDetectors();
  const said: string[] = [];
  const notifier = {
    ready: (s?: string) => void said.push(`READY ${s}`),
    reloading: (s?: string) => void said.push(`RELOADING ${s}`),
    status: () => undefined,
    stopping: (s?: string) => void said.push(`STOPPING ${s}`),
    watchdog: () => undefined,
    watchdogIntervalMs: undefined,
  };
  const daemon = new Daemon({
    loaded: cfg.loaded,
    logger: quiet,
    link: link.asLink,
    loadDetector: detectors.load,
    openCapture: captures.open,
    notifier,
    reloadConfig: () => loadConfig({ file: cfg.loaded.file, env: {} }),
  });
  daemons.push(daemon);
  return { daemon, link, captures, detectors, said, write: cfg.write };
}

describe('Daemon (in-process)', () => {
  it('a camera goes starting → streaming; READY=1 waits for the first streaming camera', async () => {
    const { daemon, link, captures, said } = setup([{ name: 'front' }]);
    await daemon.start();
    expect(link.status('front')).toBe('starting');
    expect(said).toEqual([]);
    captures.of('front').report('streaming');
    expect(link.status('front')).toBe('streaming');
    expect(said).toEqual(['READY camera front streaming']);
    captures.of('front').report('reconnecting', 'RTSP stream closed');
    expect(link.lastStatus('front')).toEqual({ camera: 'front', state: 'reconnecting', reason: 'RTSP stream closed' });
  });

  it('frames with a person: detections, a start event and the count; stopping ends the track', async () => {
    const { daemon, link, captures, detectors } = setup([{ name: 'front' }]);
    detectors.found = [person];
    await daemon.start();
    expect(link.counts.get('front/person')).toBe(0);
    const cap = captures.of('front');
    cap.report('streaming');
    await until('the loop waits for a frame', () => cap.isWaiting);
    cap.frame();
    await until('a start event', () => link.events.length === 1);
    expect(link.events[0]).toMatchObject({ camera: 'front', type: 'start', label: 'person' });
    expect(link.counts.get('front/person')).toBe(1);
    expect(link.detections).toBe(1);
    await daemon.stop('test');
    expect(link.events.map((e) => e.type)).toEqual(['start', 'end']);
    expect(link.counts.get('front/person')).toBe(0);
    expect(link.status('front')).toBe('stopped');
  });

  it('a model that fails to load fails only its cameras, and commands to them say why', async () => {
    const { daemon, link, captures, detectors } = setup([{ name: 'front' }, { name: 'back', model: 'broken' }]);
    detectors.failing.add('broken');
    await daemon.start();
    expect(link.lastStatus('back')).toMatchObject({ state: 'error', reason: expect.stringMatching(/^model broken: cannot read broken\.onnx/) });
    captures.of('front').report('streaming');
    expect(link.status('front')).toBe('streaming');
    const r = await link.command({ detect: false }, 'back');
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/camera back is not running \(model broken: cannot read/) });
  });

  it('detect off pauses the camera and ends its tracks; detect on brings the capture state back', async () => {
    const { daemon, link, captures, detectors } = setup([{ name: 'front' }]);
    detectors.found = [person];
    await daemon.start();
    const cap = captures.of('front');
    cap.report('streaming');
    await until('the loop waits for a frame', () => cap.isWaiting);
    cap.frame();
    await until('a start event', () => link.events.length === 1);
    expect(await link.command({ detect: false }, 'front')).toMatchObject({ ok: true, details: { detect: false } });
    expect(link.lastStatus('front')).toEqual({ camera: 'front', state: 'paused', reason: 'detection disabled by command' });
    expect(link.controls.get('front')?.detect).toBe(false);
    expect(link.events.map((e) => e.type)).toEqual(['start', 'end']);
    // A fault while paused shows now, with the pause reason.
    cap.report('error', 'cannot open');
    expect(link.lastStatus('front')).toMatchObject({ state: 'error', reason: 'cannot open (detection disabled by command)' });
    cap.report('streaming');
    expect(link.status('front')).toBe('paused');
    await link.command({ detect: true }, 'front');
    expect(link.lastStatus('front')).toEqual({ camera: 'front', state: 'streaming', reason: 'detection enabled by command' });
  });

  it('a camera outside its schedule starts paused; detect on does not override the schedule', async () => {
    const now = new Date();
    const hh = (h: number) => `${String((now.getUTCHours() + h) % 24).padStart(2, '0')}:00`;
    const { daemon, link, said } = setup([{ name: 'front', schedule: [{ from: hh(2), to: hh(3) }] }], { schedule: { timezone: 'UTC' } });
    await daemon.start();
    expect(link.lastStatus('front')).toMatchObject({ state: 'paused', reason: expect.stringMatching(/^schedule window: inactive until /) });
    // Nothing will stream before the window: systemd is told "started" at once.
    expect(said).toEqual(['READY every camera is paused (schedule or command)']);
    await link.command({ detect: true }, 'front');
    expect(link.status('front')).toBe('paused');
    expect((await link.command({ schedule_override: 'on' }, 'front')).ok).toBe(true);
    expect(link.lastStatus('front')).toMatchObject({ state: 'starting', reason: expect.stringMatching(/^schedule override on: active/) });
  });

  it('a min_score command answers with the new scores and publishes the control', async () => {
    const { daemon, link } = setup([{ name: 'front' }]);
    await daemon.start();
    expect(await link.command({ min_score: 0.7 }, 'front')).toMatchObject({ ok: true, details: { min_score: 0.7 } });
    expect(link.controls.get('front')).toEqual({ detect: true, minScore: 0.7 });
    expect(await link.command({ min_score: 0.01 }, 'front')).toMatchObject({ ok: false, error: expect.stringMatching(/below 0\.1/) });
  });

  it('a reload asked for during the start waits for it (no second set of cameras); after stop it is refused', async () => {
    const { daemon, captures, write } = setup([{ name: 'front' }]);
    const starting = daemon.start();
    write([{ name: 'front' }, { name: 'side' }]);
    const reloaded = daemon.reload('SIGHUP');
    await starting;
    expect(await reloaded).toMatchObject({ ok: true, changed: true });
    expect(captures.opened.map((c) => c.camera)).toEqual(['front', 'side']);
    await daemon.stop('test');
    expect(await daemon.reload('SIGHUP')).toEqual({ ok: false, problems: ['shutting down'], restartNeeded: [], changed: false });
  });

  it('a reload removes, adds and keeps cameras as planned; a refused config changes nothing', async () => {
    const { daemon, link, captures, detectors, write } = setup([{ name: 'front' }, { name: 'back' }]);
    await daemon.start();
    captures.of('front').report('streaming');
    write([{ name: 'front', objects: { track: ['car'] } }, { name: 'side' }]);
    const r = await link.command({ reload: true });
    expect(r).toMatchObject({ ok: true, details: { reload: { changed: true } } });
    expect(link.forgotten).toEqual(['back']);
    expect(captures.of('back').stopped).toBe(true);
    expect(link.status('side')).toBe('starting');
    // `front` kept its capture and took its new labels live: its person count is gone, car is 0.
    expect(captures.opened.filter((c) => c.camera === 'front')).toHaveLength(1);
    expect(link.counts.has('front/person')).toBe(false);
    expect(link.counts.get('front/car')).toBe(0);
    expect(detectors.loaded).toEqual(['ssdlite_mobilenet_v2_coco']);

    write([{ name: 'front', max_fps: -3 }]);
    const refused = await link.command({ reload: true });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/^config refused: /) });
    expect(link.configStates.at(-1)?.ok).toBe(false);
    expect(captures.of('side').stopped).toBe(false);
  });
});
