import { loadConfig } from '../../../src/config';
import { cameraSettings, lowestMinScore, sourceSpecOf } from '../../../src/pipeline/camera-settings';
import { assignZones } from '../../../src/pipeline/zones';

const base = () => loadConfig({ env: {} }).config;

describe('cameraSettings', () => {
  it('maps config source types to capture sources', () => {
    expect(sourceSpecOf({ type: 'v4l2', device: '/dev/video0', width: 1280, height: 720, fourcc: 'MJPG' })).toEqual({
      kind: 'v4l2',
      device: '/dev/video0',
      width: 1280,
      height: 720,
      fourcc: 'MJPG',
    });
    expect(sourceSpecOf({ type: 'csi-pi' })).toEqual({ kind: 'libcamera', width: 1280, height: 720, fps: 15 });
    expect(sourceSpecOf({ type: 'csi-jetson', sensor_id: 1 })).toMatchObject({ kind: 'jetson', sensorId: 1 });
    expect(sourceSpecOf({ type: 'url', url: 'rtsp://x/y', rtsp_transport: 'udp', latency_ms: 0 })).toEqual({
      kind: 'stream',
      url: 'rtsp://x/y',
      transport: 'udp',
      latencyMs: 0,
    });
    expect(sourceSpecOf({ type: 'file', path: 'a.mp4', realtime: false })).toEqual({ kind: 'file', path: 'a.mp4', loop: false, pacing: 'fast' });
    expect(sourceSpecOf({ type: 'images', path: 'dir', loop: true, fps: 2 })).toEqual({ kind: 'images', path: 'dir', loop: true, pacing: 'realtime', fps: 2 });
  });

  it('reads a fast file losslessly and a camera newest-frame first', () => {
    const c = base();
    expect(cameraSettings({ name: 'a', source: { type: 'file', path: 'x.avi', realtime: false } }, c).capture.delivery).toBe('lossless');
    expect(cameraSettings({ name: 'a', source: { type: 'file', path: 'x.avi' } }, c).capture.delivery).toBe('newest');
    expect(cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 } }, c).capture.delivery).toBe('newest');
  });

  it('turns the crop [xmin, ymin, xmax, ymax] into x, y, width, height', () => {
    const s = cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 }, transform: { rotate: 90, crop: [0.1, 0.2, 0.5, 1] } }, base());
    expect(s.capture.transform?.rotate).toBe(90);
    const crop = s.capture.transform?.crop;
    expect(crop?.x).toBeCloseTo(0.1);
    expect(crop?.y).toBeCloseTo(0.2);
    expect(crop?.width).toBeCloseTo(0.4);
    expect(crop?.height).toBeCloseTo(0.8);
  });

  it('lets a camera override the global objects settings key by key', () => {
    const c = base();
    c.objects.min_scores = { person: 0.6, car: 0.7 };
    const s = cameraSettings(
      { name: 'a', source: { type: 'v4l2', device: 0 }, objects: { track: ['person'], min_score: 0.4, min_scores: { person: 0.8 } } },
      c,
    );
    expect(s.filters.minScore).toBe(0.4);
    expect(s.filters.minScoreByLabel).toEqual({ person: 0.8, car: 0.7 });
    expect(s.filters.labels).toEqual(['person']);
    expect(s.tracker.labels).toEqual(['person']);
    expect(s.filters.minArea).toBe(c.objects.min_area);
    expect(lowestMinScore([s])).toBe(0.4);
  });

  it('uses max_fps of the camera, else capture.max_fps, and the tracker settings in ms', () => {
    const c = base();
    expect(cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 } }, c).maxFps).toBe(c.capture.max_fps);
    const s = cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 }, max_fps: 2 }, c);
    expect(s.maxFps).toBe(2);
    expect(s.tracker.updateIntervalMs).toBe(c.tracker.update_interval_s * 1000);
  });

  it('a source change shows in the capture key, a threshold change does not', () => {
    const c = base();
    const cam = { name: 'a', source: { type: 'file' as const, path: 'x.avi' } };
    const k = cameraSettings(cam, c).captureKey;
    expect(cameraSettings({ ...cam, objects: { min_score: 0.9 } }, c).captureKey).toBe(k);
    expect(cameraSettings({ ...cam, source: { type: 'file', path: 'y.avi' } }, c).captureKey).not.toBe(k);
    expect(cameraSettings({ ...cam, max_fps: 10 }, c).captureKey).not.toBe(k);
  });
});

describe('assignZones', () => {
  const det = (label: string, box: [number, number, number, number]) => ({ label, class_id: 1, score: 0.9, box, zones: [] as string[] });
  const driveway = {
    name: 'driveway',
    points: [
      [0, 0.5],
      [1, 0.5],
      [1, 1],
      [0, 1],
    ] as [number, number][],
  };
  const cars = {
    name: 'parking',
    points: [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ] as [number, number][],
    labels: new Set(['car']),
  };

  it('names the zones an object stands in (bottom-centre), without dropping the others', () => {
    const out = assignZones([det('person', [0.4, 0.6, 0.5, 0.9]), det('person', [0.4, 0.1, 0.5, 0.3])], [driveway], []);
    expect(out.map((d) => d.zones)).toEqual([['driveway'], []]);
  });

  it('counts a zone only for its labels', () => {
    const out = assignZones([det('person', [0.4, 0.6, 0.5, 0.9]), det('car', [0.4, 0.6, 0.5, 0.9])], [driveway, cars], []);
    expect(out.map((d) => d.zones)).toEqual([['driveway'], ['driveway', 'parking']]);
  });

  it('required zones keep only the objects inside them', () => {
    const out = assignZones([det('person', [0.4, 0.6, 0.5, 0.9]), det('person', [0.4, 0.1, 0.5, 0.3])], [driveway], ['driveway']);
    expect(out).toHaveLength(1);
    expect(out[0].zones).toEqual(['driveway']);
  });
});
