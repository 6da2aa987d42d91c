import fs from 'node:fs';
import path from 'node:path';
import { schemaProblems, schemas, availabilityProblem, countProblem } from '../../../src/mqtt/schemas';

const dir = path.join(__dirname, '../../../src/mqtt/schemas');

describe('committed JSON Schema files', () => {
  // The TS literals are the source; the files are what other tools and people read. Regenerate with
  // UPDATE_SCHEMAS=1 npx jest test/unit/mqtt/schemas.
  it.each(Object.keys(schemas))('%s.schema.json matches the schema in src/mqtt/schemas.ts', (name) => {
    const file = path.join(dir, `${name}.schema.json`);
    const expected = JSON.stringify(schemas[name as keyof typeof schemas], null, 2) + '\n';
    if (process.env.UPDATE_SCHEMAS === '1') fs.writeFileSync(file, expected);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe(expected);
  });

  it('has no stray schema files', () => {
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort();
    expect(files).toEqual(
      Object.keys(schemas)
        .map((n) => `${n}.schema.json`)
        .sort(),
    );
  });
});

describe('payload schemas', () => {
  const detections = {
    v: 1,
    camera: 'front',
    frame: 1042,
    ts: 1764180000123,
    width: 1280,
    height: 720,
    model: 'ssdlite_mobilenet_v2_coco',
    detections: [{ label: 'person', class_id: 1, score: 0.91, box: [0.12, 0.3, 0.48, 0.95], track_id: 7, zones: ['driveway'] }],
  };
  const timing = {
    v: 1,
    camera: 'front',
    frame: 1042,
    ts: 1764180000123,
    capture_ms: 1.2,
    wait_ms: 0.4,
    preprocess_ms: 0.9,
    inference_ms: 18.7,
    postprocess_ms: 0.6,
    publish_ms: 0.2,
    total_ms: 22.0,
    age_ms: 35.1,
    fps: 9.9,
    dropped: 0,
  };

  it('accepts the DESIGN.md examples', () => {
    expect(schemaProblems('detections', detections)).toBeNull();
    expect(schemaProblems('timing', timing)).toBeNull();
  });

  it('rejects a box outside the frame, a wrong version and unknown fields, saying where', () => {
    const badBox = { ...detections, detections: [{ ...detections.detections[0], box: [0.1, 0.2, 1.3, 0.9] }] };
    expect(schemaProblems('detections', badBox)).toMatch(/\/detections\/0\/box\/2/);
    expect(schemaProblems('timing', { ...timing, v: 2 })).toMatch(/\/v/);
    expect(schemaProblems('timing', { ...timing, gpu_ms: 1 })).toMatch(/gpu_ms/);
  });

  it('lets stats grow (extra fields) but checks the known ones', () => {
    const stats = {
      v: 1,
      ts: 1,
      uptime_s: 5,
      ep: 'cpu',
      cpu_temp_c: null,
      load: [0.5, 0.4, 0.3],
      rss_mb: 120,
      new_field: 'x',
      cameras: { front: { fps: 10, detect_fps: 9.5, inference_p50_ms: 18, inference_p95_ms: 25, dropped: 3, status: 'streaming', extra: 1 } },
    };
    expect(schemaProblems('stats', stats)).toBeNull();
    expect(schemaProblems('stats', { ...stats, load: [1, 2] })).toMatch(/\/load/);
    expect(schemaProblems('stats', { ...stats, cameras: { front: { ...stats.cameras.front, status: 'sleepy' } } })).toMatch(/status/);
  });

  it('events need a seq and a known type', () => {
    const event = {
      v: 1,
      seq: 3,
      event_id: 'pi4:mf3k2a1:front:7',
      type: 'start',
      camera: 'front',
      track_id: 7,
      label: 'person',
      score: 0.9,
      box: [0, 0, 0.5, 0.5],
      zones: [],
      started_at: 1,
      updated_at: 1,
      frames: 1,
    };
    expect(schemaProblems('event', event)).toBeNull();
    expect(schemaProblems('event', { ...event, type: 'begin' })).toMatch(/type/);
    const { seq: _seq, ...noSeq } = event;
    expect(schemaProblems('event', noSeq)).toMatch(/seq/);
    const { event_id: _id, ...noId } = event;
    expect(schemaProblems('event', noId)).toMatch(/event_id/);
  });

  it('text payloads', () => {
    expect(availabilityProblem('online')).toBeNull();
    expect(availabilityProblem('Online')).not.toBeNull();
    expect(countProblem('12')).toBeNull();
    expect(countProblem('-1')).not.toBeNull();
    expect(countProblem('01')).not.toBeNull();
  });
});
