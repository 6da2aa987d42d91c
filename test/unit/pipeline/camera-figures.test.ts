import { CameraFigures } from '../../../src/pipeline/camera-figures';
import { schemaProblems } from '../../../src/mqtt';

describe('CameraFigures', () => {
  it('keeps since while the state and reason stay, and moves it on a change', () => {
    const f = new CameraFigures();
    const a = f.setState('streaming', null, 1000);
    expect(f.setState('streaming', null, 2000)).toBe(a);
    expect(f.setState('streaming', 'adaptive load: thermal', 3000)).toBe(3000);
  });

  it('busy ratio is the model time share since the last tick, then starts again', () => {
    const f = new CameraFigures();
    f.frameProcessed(20, 25, 1000);
    f.frameProcessed(20, 25, 1100);
    expect(f.takeBusyRatio(100)).toBe(0.5);
    expect(f.takeBusyRatio(100)).toBe(0);
  });

  it('builds a stats entry the schema accepts, with capture FPS from the counter', () => {
    const f = new CameraFigures();
    for (let i = 0; i < 10; i += 1) f.frameProcessed(10 + i, 12, 1000 + i * 200);
    f.setState('streaming', null);
    const capture = { state: 'streaming' as const, captured: 100, delivered: 10, dropped: 90, reconnects: 0 };
    f.stats(capture, 5, 3000, 0);
    const entry = f.stats({ ...capture, captured: 120 }, 5, 3000, 2000);
    expect(entry.fps).toBe(10);
    expect(entry.detect_fps).toBe(4.5); // 9 intervals over the 2 s from the first frame to now
    expect(entry.inference_p50_ms).toBe(14);
    expect(entry.fps_cap).toBe(5);
    expect(
      schemaProblems('stats', { v: 1, ts: 1, uptime_s: 1, cameras: { front: entry }, ep: 'cpu', cpu_temp_c: null, load: [0, 0, 0], rss_mb: 1 }),
    ).toBeNull();
  });

  it("says which frame is the camera's first, so its stats go out at once", () => {
    const f = new CameraFigures();
    expect(f.frameProcessed(20, 25, 1000)).toBe(true);
    expect(f.frameProcessed(20, 25, 1200)).toBe(false);
    expect(f.stats(null, null, 1200, 0).inference_p50_ms).toBe(20);
  });
});
