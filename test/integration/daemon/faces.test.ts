// Objects and faces from one camera, as docs/models.md says to set it up: two camera entries on the
// same source, one running the COCO model and one the face model (a camera runs one model). Faces
// are a label like any other: detections, events, a retained count, and Home Assistant entities.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, TESTDATA, daemonTest, uniqueEvents } from '../../support/daemon-harness';
import { buildDiscovery } from '../../../src/mqtt/discovery';
import { Topics } from '../../../src/mqtt/topics';

describe('objects and faces from one camera', () => {
  let broker: Mosquitto;
  let folder: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    // A folder source shown again and again: messi5.jpg has a person with a face.
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-faces-'));
    fs.copyFileSync(path.join(TESTDATA, 'messi5.jpg'), path.join(folder, 'messi5.jpg'));
  });
  afterAll(async () => {
    await broker?.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  daemonTest('two entries on one source: persons from the COCO model, faces from the face model, each with its events and count', async () => {
    const source = { type: 'images' as const, path: folder, loop: true, realtime: true, fps: 4 };
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [
        { name: 'porch', source, objects: { track: ['person'] } },
        { name: 'porch_faces', source, model: 'face_ssd_mobilenet_v1', objects: { track: ['face'] } },
      ],
      config: { tracker: { update_interval_s: 0.5 } },
    });
    const labels = (camera: string) =>
      new Set(d.rec.json<{ detections: { label: string }[] }>(d.topic(`${camera}/detections`)).flatMap((p) => p.detections.map((x) => x.label)));
    await d.waitFor('a face and a person', () => labels('porch_faces').has('face') && labels('porch').has('person'), 60_000);
    expect([...labels('porch_faces')]).toEqual(['face']);
    expect(labels('porch').has('face')).toBe(false);
    await d.waitFor(
      'a face track start event and a retained face count of 1',
      () =>
        uniqueEvents(d.rec, d.topic('porch_faces/events')).some((e) => e.type === 'start' && e.label === 'face') &&
        d.rec.last(d.topic('porch_faces/face'))?.text === '1',
      30_000,
    );
    d.signal('SIGTERM');
    expect((await d.waitExit(15_000)).code).toBe(0);
  });

  test('Home Assistant gets face occupancy and count entities like any label', () => {
    const topics = [
      ...buildDiscovery(new Topics('lookout/pi'), { prefix: 'homeassistant', deviceId: 'pi', version: '0' }, [
        { name: 'porch_faces', labels: ['face'] },
      ]).keys(),
    ];
    expect(topics).toEqual(
      expect.arrayContaining(['homeassistant/binary_sensor/pi/porch_faces_face_occupancy/config', 'homeassistant/sensor/pi/porch_faces_face_count/config']),
    );
  });
});
