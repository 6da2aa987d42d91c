/**
 * The retained motion state through the daemon (in-process, with doubles): published from the running
 * camera at start, cleared when the camera's motion gating is switched off by a reload, back when it
 * is switched on again. "Retained state is the truth."
 */
import fs from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon';
import { configFile, FakeCaptures, FakeDetectors, FakeLink } from './doubles';

const quiet = pino({ level: 'silent' });
let daemon: Daemon | undefined;
let dir: string | undefined;
afterEach(async () => {
  await daemon?.stop('test over');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('motion state: OFF at start, cleared when motion is switched off, back when switched on', async () => {
  const cfg = configFile([{ name: 'front' }]);
  dir = cfg.dir;
  const link = new FakeLink();
  daemon = new Daemon({
    loaded: cfg.loaded,
    logger: quiet,
    link: link.asLink,
    loadDetector: new FakeDetectors().load,
    openCapture: new FakeCaptures().open,
    notifier: {
      ready: () => undefined,
      reloading: () => undefined,
      status: () => undefined,
      stopping: () => undefined,
      watchdog: () => undefined,
      watchdogIntervalMs: undefined,
    },
    reloadConfig: () => loadConfig({ file: cfg.loaded.file, env: {} }),
  });
  await daemon.start();
  expect(link.motion.get('front')).toBe(false);
  cfg.write([{ name: 'front', motion: { enabled: false } }]);
  expect(await daemon.reload('SIGHUP')).toMatchObject({ ok: true, changed: true });
  expect(link.motion.has('front')).toBe(false);
  cfg.write([{ name: 'front', motion: { enabled: true, threshold: 40 } }]);
  expect(await daemon.reload('SIGHUP')).toMatchObject({ ok: true, changed: true });
  expect(link.motion.get('front')).toBe(false);
});
