import pino from 'pino';
import { Camera } from '../../../src/daemon/camera';
import { Service } from '../../../src/daemon/service';
import { PipelineProgress } from '../../../src/system/progress';

const quiet = pino({ level: 'silent' });

function setup(watchdogIntervalMs: number | undefined) {
  const said: string[] = [];
  let now = 1_000_000;
  const progress = new PipelineProgress({ now: () => now, frameStallMs: 60_000 });
  const front = new Camera('front');
  const notifier = {
    ready: (s?: string) => void said.push(`READY ${s}`),
    reloading: (s?: string) => void said.push(`RELOADING ${s}`),
    status: (s: string) => void said.push(`STATUS ${s}`),
    stopping: (s?: string) => void said.push(`STOPPING ${s}`),
    watchdog: () => void said.push('WATCHDOG'),
    watchdogIntervalMs,
  };
  const service = new Service({ notifier, log: quiet, progress, cameras: () => [front], now: () => now });
  return { service, said, progress, advance: (ms: number) => (now += ms) };
}

describe('Service (what systemd is told)', () => {
  afterEach(() => jest.useRealTimers());

  it('STATUS= follows published frames at most every 5 s', () => {
    const t = setup(undefined);
    t.service.framePublished();
    t.advance(1000);
    t.service.framePublished();
    t.advance(5000);
    t.service.framePublished();
    expect(t.said).toEqual(['STATUS front 0.0 fps', 'STATUS front 0.0 fps']);
  });

  it('pings the watchdog only while frames flow; after stop: STOPPING=1 and nothing more', () => {
    jest.useFakeTimers();
    const t = setup(10_000);
    t.progress.cameraActive('front');
    t.service.start();
    expect(t.said.filter((s) => s === 'WATCHDOG')).toHaveLength(1);
    // No frame for longer than the stall bound: the pings stop, so systemd restarts a stuck daemon.
    t.advance(61_000);
    jest.advanceTimersByTime(10_000);
    expect(t.said.filter((s) => s === 'WATCHDOG')).toHaveLength(1);
    t.progress.frameCaptured('front');
    jest.advanceTimersByTime(10_000);
    expect(t.said.filter((s) => s === 'WATCHDOG')).toHaveLength(2);
    t.service.stop('SIGTERM');
    t.service.gate.ready('camera front streaming');
    jest.advanceTimersByTime(60_000);
    expect(t.said.filter((s) => s === 'WATCHDOG')).toHaveLength(2);
    expect(t.said).toContain('STOPPING shutting down: SIGTERM');
    expect(t.said.some((s) => s.startsWith('READY'))).toBe(false);
  });

  it('without a watchdog (not under systemd, or none configured) READY=1 still goes out by the 30 s bound', () => {
    jest.useFakeTimers();
    const t = setup(undefined);
    t.service.start();
    jest.advanceTimersByTime(29_000);
    expect(t.said).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(t.said).toEqual(['READY no camera streams yet; ready anyway']);
  });
});
