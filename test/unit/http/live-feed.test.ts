import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { EventLog } from '../../../src/http/event-log';
import { LiveFeed, type FrameView } from '../../../src/http/live-feed';

class FakeResponse {
  text = '';
  writableLength = 0;
  ended = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
  end() {
    this.ended = true;
  }
  destroy() {
    this.ended = true;
  }
}

function frame(camera: string, n: number): FrameView {
  return { camera, detections: { frame: n } as FrameView['detections'], timing: { frame: n } as FrameView['timing'] };
}

describe('the live feed (SSE)', () => {
  test('frames are listened to only while a page is connected', () => {
    const listeners = new Set<(f: FrameView) => void>();
    const tap = {
      subscribe: (l: (f: FrameView) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const events = new EventLog();
    const feed = new LiveFeed({ frames: tap, events, status: () => ({ cameras: [] }), statusEveryMs: 60_000 });
    expect(listeners.size).toBe(0);

    const req1 = new EventEmitter();
    const res1 = new FakeResponse();
    feed.open(req1 as http.IncomingMessage, res1 as unknown as http.ServerResponse);
    const req2 = new EventEmitter();
    const res2 = new FakeResponse();
    feed.open(req2 as http.IncomingMessage, res2 as unknown as http.ServerResponse);
    expect(listeners.size).toBe(1);
    expect(res1.text).toMatch(/^retry: 2000\n\nevent: status\ndata: \{"cameras":\[\]\}\n\n$/);

    for (const l of listeners) l(frame('front', 5));
    events.add('front', {
      type: 'start',
      track_id: 3,
      label: 'person',
      class_id: 1,
      score: 0.9,
      box: [0, 0, 1, 1],
      zones: [],
      started_at: 1,
      updated_at: 1,
      frames: 1,
    });
    expect(res2.text).toContain('event: frame\ndata: {"camera":"front","detections":{"frame":5},"timing":{"frame":5}}\n\n');
    expect(res2.text).toMatch(/event: event\ndata: \{"type":"start","track_id":3/);

    req1.emit('close');
    expect(listeners.size).toBe(1);
    req2.emit('close');
    expect(listeners.size).toBe(0);
    expect(events.listenerCount('event')).toBe(0);
  });

  test('a page that does not read is dropped instead of buffering without bound', () => {
    let emit: (f: FrameView) => void = () => undefined;
    const feed = new LiveFeed({
      frames: { subscribe: (l) => ((emit = l), () => undefined) },
      events: new EventLog(),
      status: () => ({}),
      maxBufferedBytes: 100,
    });
    const res = new FakeResponse();
    feed.open(new EventEmitter() as http.IncomingMessage, res as unknown as http.ServerResponse);
    res.writableLength = 101;
    emit(frame('front', 1));
    expect(res.ended).toBe(true);
    expect(feed.watchers).toBe(0);
    feed.close();
  });
});
