// The payload types are derived from the schemas. These assignments are checked by `npm run typecheck`
// (tsc): a schema change that breaks the contract's examples, or lets a wrong payload through, fails
// there. At run time the same objects are checked against the schemas, so types and schemas agree.
import { schemaProblems, type DetectionsPayload, type EventPayload, type StatsPayload, type StatusPayload, type Command } from '../../../src/mqtt/schemas';
import type { TopicPayloads } from '../../../src/mqtt/topics';

const detections: DetectionsPayload = {
  v: 1,
  camera: 'front',
  frame: 1042,
  ts: 1764180000123,
  width: 1280,
  height: 720,
  model: 'ssdlite_mobilenet_v2_coco',
  detections: [{ label: 'person', class_id: 1, score: 0.91, box: [0.12, 0.3, 0.48, 0.95], track_id: 7, zones: ['driveway'] }],
};
const event: EventPayload = {
  v: 1,
  seq: 1,
  event_id: 'pi4:mf3k2a1:front:7',
  type: 'end',
  camera: 'front',
  track_id: 7,
  label: 'person',
  score: 0.9,
  box: [0, 0, 1, 1],
  zones: [],
  started_at: 1,
  updated_at: 2,
  ended_at: 2,
  frames: 2,
};
const status: StatusPayload = { v: 1, state: 'error', reason: 'no frames for 20 s', since: 1 };
const stats: StatsPayload = {
  v: 1,
  ts: 1,
  uptime_s: 1,
  ep: 'cpu',
  cpu_temp_c: null,
  load: [0, 0, 0],
  rss_mb: 1,
  board: 'pi5',
  cameras: { front: { fps: 1, detect_fps: 1, inference_p50_ms: null, inference_p95_ms: null, dropped: 0, status: 'starting' } },
};
const command: Command = { detect: false, min_scores: { person: 0.7 }, schedule_override: 'auto' };

// @ts-expect-error the contract version is 1
const wrongVersion: DetectionsPayload = { ...detections, v: 2 };
// @ts-expect-error unknown event type
const wrongType: EventPayload = { ...event, type: 'begin' };
// @ts-expect-error unknown camera state
const wrongState: StatusPayload = { ...status, state: 'sleeping' };
// @ts-expect-error unknown field on a closed payload
const extraField: StatusPayload = { ...status, colour: 'red' };
// @ts-expect-error snapshot is a request, not a toggle
const wrongCommand: Command = { snapshot: false };
// @ts-expect-error counts are numbers
const wrongCount: TopicPayloads['count'] = '3';

describe('payload types agree with the schemas', () => {
  it('what the types accept, the schemas accept', () => {
    expect(schemaProblems('detections', detections)).toBeNull();
    expect(schemaProblems('event', event)).toBeNull();
    expect(schemaProblems('status', status)).toBeNull();
    expect(schemaProblems('stats', stats)).toBeNull();
    expect(schemaProblems('command', command)).toBeNull();
  });
  it('what the types reject, the schemas reject', () => {
    expect(schemaProblems('detections', wrongVersion)).not.toBeNull();
    expect(schemaProblems('event', wrongType)).not.toBeNull();
    expect(schemaProblems('status', wrongState)).not.toBeNull();
    expect(schemaProblems('status', extraField)).not.toBeNull();
    expect(schemaProblems('command', wrongCommand)).not.toBeNull();
    expect(typeof wrongCount).toBe('string');
  });
});
