import { EventLog, MAX_EVENTS_PER_CAMERA, tapEvents } from '../../../src/http/event-log';
import type { EventInput } from '../../../src/mqtt';

const ev = (track_id: number): EventInput => ({
  type: 'start',
  track_id,
  label: 'person',
  class_id: 1,
  score: 0.9,
  box: [0, 0, 1, 1],
  zones: [],
  started_at: 0,
  updated_at: 0,
  frames: 1,
});

describe('the events of the last hour', () => {
  test('kept newest first per camera, forgotten after an hour', () => {
    let now = 0;
    const log = new EventLog(3_600_000, () => now);
    log.add('front', ev(1));
    now = 1_000_000;
    log.add('back', ev(2));
    log.add('front', ev(3));
    expect(log.recent('front').map((e) => e.track_id)).toEqual([3, 1]);
    now = 3_700_000;
    expect(log.recent().map((e) => `${e.camera}#${e.track_id}`)).toEqual(['front#3', 'back#2']);
  });

  test('the tapped link publishes as before and the log sees each event', () => {
    const published: string[] = [];
    const link = {
      prefix: 'lookout/x',
      publishEvent(camera: string, e: EventInput) {
        published.push(`${this.prefix}/${camera}#${e.track_id}`);
        return published.length;
      },
      publishTiming(camera: string) {
        published.push(`${this.prefix}/${camera}/timing`);
      },
    };
    const log = new EventLog();
    const tapped = tapEvents(link, log);
    expect(tapped.publishEvent('front', ev(7))).toBe(1);
    tapped.publishTiming('front');
    expect(published).toEqual(['lookout/x/front#7', 'lookout/x/front/timing']);
    expect(log.recent().map((e) => e.track_id)).toEqual([7]);
  });
});

test('a busy camera keeps its newest events up to the cap, and does not push out a quiet one', () => {
  const log = new EventLog(3_600_000, () => 0, 3);
  log.add('quiet', ev(100));
  for (let id = 1; id <= 10; id++) log.add('street', ev(id));
  expect(log.recent('street').map((e) => e.track_id)).toEqual([10, 9, 8]);
  expect(log.recent('quiet').map((e) => e.track_id)).toEqual([100]);
  expect(log.recent().map((e) => e.track_id)).toEqual([10, 9, 8, 100]);
});

test('the default cap holds a busy hour to MAX_EVENTS_PER_CAMERA (an hour at 5 events a second is 18 000)', () => {
  let now = 0;
  const log = new EventLog(3_600_000, () => now);
  for (let i = 0; i < 18_000; i++, now += 200) log.add('street', ev(i));
  const kept = log.recent('street');
  expect(kept).toHaveLength(MAX_EVENTS_PER_CAMERA);
  expect(kept[0].track_id).toBe(17_999);
});
