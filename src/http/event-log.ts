/**
 * The events of the last hour, kept in memory for the page (MQTT consumers have the broker), at most
 * `MAX_EVENTS_PER_CAMERA` a camera. An hour of a busy scene is not rare: a street keeps a few events a
 * second coming, and the hour alone let the daemon's heap grow by 1.4 MB every 4 minutes for its first
 * hour (issue 17: a heap snapshot of `lookout run` on vtest.avi, 290 events a minute).
 */
import { EventEmitter } from 'node:events';
import type { EventInput } from '../mqtt';

/** More than a page's list is read for; under half a megabyte a camera. */
export const MAX_EVENTS_PER_CAMERA = 300;

export interface LoggedEvent extends EventInput {
  camera: string;
  /** Epoch ms when it was published. */
  at: number;
}

export interface EventSink {
  publishEvent(camera: string, event: EventInput): unknown;
}

export class EventLog extends EventEmitter<{ event: [LoggedEvent] }> {
  /** Per camera, oldest first, each with its place in the order of all events (`added`). */
  private readonly byCamera = new Map<string, { n: number; event: LoggedEvent }[]>();
  private added = 0;

  constructor(
    private readonly keepMs = 3_600_000,
    private readonly now: () => number = Date.now,
    private readonly maxPerCamera = MAX_EVENTS_PER_CAMERA,
  ) {
    super();
  }

  add(camera: string, event: EventInput): void {
    const logged: LoggedEvent = { ...event, camera, at: this.now() };
    let events = this.byCamera.get(camera);
    if (!events) this.byCamera.set(camera, (events = []));
    events.push({ n: this.added++, event: logged });
    if (events.length > this.maxPerCamera) events.splice(0, events.length - this.maxPerCamera);
    this.prune();
    this.emit('event', logged);
  }

  /** Newest first, of one camera or all. */
  recent(camera?: string): LoggedEvent[] {
    this.prune();
    const lists = camera === undefined ? [...this.byCamera.values()] : [this.byCamera.get(camera) ?? []];
    return lists
      .flat()
      .sort((a, b) => b.n - a.n)
      .map((e) => e.event);
  }

  private prune(): void {
    const oldest = this.now() - this.keepMs;
    for (const [camera, events] of this.byCamera) {
      let drop = 0;
      while (drop < events.length && events[drop].event.at < oldest) drop++;
      if (drop === events.length) this.byCamera.delete(camera);
      else if (drop > 0) events.splice(0, drop);
    }
  }
}

/** `link` with every published event also recorded in `log`; everything else goes to `link` as is. */
export function tapEvents<T extends EventSink>(link: T, log: EventLog): T {
  return new Proxy(link, {
    get(target, prop) {
      if (prop === 'publishEvent') {
        return (camera: string, event: EventInput) => {
          const published = target.publishEvent(camera, event);
          log.add(camera, event);
          return published;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
