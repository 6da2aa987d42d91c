import type { HostSnapshot } from '../../../src/system/host-stats';
import { schemaProblems } from '../../../src/mqtt';
import type { FrameOutcome } from '../../../src/pipeline/camera-runtime';
import { detectionsPayload, eventInput, statsPayload, timingPayload } from '../../../src/pipeline/payloads';

const outcome = (): FrameOutcome => ({
  camera: 'front',
  frame: { camera: 'front', seq: 42, ts: 1_764_180_000_123.4, captureMs: 1.234, width: 768, height: 576, data: Buffer.alloc(0) },
  model: 'ssdlite_mobilenet_v2_coco',
  result: {
    detections: [],
    preprocess_ms: 0.9,
    inference_ms: 18.7,
    roundtrip_ms: 19.5,
    postprocess_ms: 0.6,
  },
  tracked: {
    detections: [
      {
        label: 'person',
        class_id: 1,
        score: 0.912345,
        box: [0.12, 0.3, 0.48, 1.0000001],
        zones: ['driveway'],
        track_id: 7,
        confirmed: true,
        best_improved: false,
      },
      { label: 'car', class_id: 3, score: 0.6, box: [-0.00001, 0.3, 0.48, 0.9], zones: [], confirmed: false, best_improved: true },
    ],
    events: [],
    counts: { byLabel: {}, byZone: {} },
    countsChanged: false,
  },
  waitMs: 3.2,
  startedAt: 1000,
  dropped: 2,
});

describe('frame payloads', () => {
  it('detections follow the schema: tracker flags stay inside, boxes are clamped to the frame', () => {
    const p = detectionsPayload(outcome());
    expect(schemaProblems('detections', p)).toBeNull();
    expect(p.frame).toBe(42);
    expect(p.detections[0]).toEqual({ label: 'person', class_id: 1, score: 0.9123, box: [0.12, 0.3, 0.48, 1], track_id: 7, zones: ['driveway'] });
    expect(p.detections[1].box[0]).toBe(0);
    expect(p.detections[1]).not.toHaveProperty('track_id');
  });

  it('timing carries every stage, total from detection start and age from the read', () => {
    const o = outcome();
    const t = timingPayload(o, { publishMs: 0.25, endedAt: 1022, endedAtEpoch: o.frame.ts + 35, fps: 9.876 });
    expect(schemaProblems('timing', t)).toBeNull();
    expect(t).toMatchObject({
      frame: 42,
      capture_ms: 1.23,
      wait_ms: 3.2,
      inference_ms: 18.7,
      publish_ms: 0.25,
      total_ms: 22,
      age_ms: 35,
      fps: 9.88,
      dropped: 2,
    });
  });

  it('events follow the schema', () => {
    const e = eventInput(
      {
        type: 'update',
        track_id: 7,
        label: 'person',
        class_id: 1,
        score: 0.93,
        box: [0.1, 0.2, 0.3, 0.4],
        zones: ['a'],
        entered_zones: ['a'],
        left_zones: ['b'],
        started_at: 1,
        updated_at: 2,
        last_seen_at: 2,
        frames: 5,
        best: { score: 0.93, ts: 2, box: [0.1, 0.2, 0.3, 0.4] },
      },
      true,
    );
    expect(schemaProblems('event', { v: 1, seq: 1, event_id: 'pi4:b0:front:3', camera: 'front', ...e })).toBeNull();
    expect(e).toMatchObject({ entered_zones: ['a'], left_zones: ['b'], snapshot: true });
    expect(e).not.toHaveProperty('best');
  });

  it('stats follow the schema', () => {
    const stats = statsPayload({
      now: 1_764_180_000_123,
      host: { process_uptime_s: 12.4, cpu_temp_c: null, load_avg: [0.123, 0.5, 1], rss_bytes: 150 * 1048576, throttled: null } as unknown as HostSnapshot,
      cameras: { front: { fps: 10, detect_fps: 5, inference_p50_ms: null, inference_p95_ms: null, dropped: 0, status: 'starting' } },
      models: [{ model: 'ssdlite_mobilenet_v2_coco', ep: 'cpu' }],
      version: '0.1.0',
      hostname: 'pi4',
    });
    expect(schemaProblems('stats', stats)).toBeNull();
    expect(stats).toMatchObject({ uptime_s: 12, ep: 'cpu', load: [0.12, 0.5, 1], rss_mb: 150 });
  });
});
