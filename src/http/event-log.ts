/**
 * The events of the last hour, kept in memory for the page (MQTT consumers have the broker). Events
 * are rare (starts, ends, a few updates per track), so an array pruned by age is enough.
 */
import { EventEmitter } from 'node:events';
import type { EventInput } from '../mqtt';

export interface LoggedEvent extends EventInput {
  camera: string;
  /** Epoch ms when it was published. */
  at: number;
}

export interface EventSink {
  publishEvent(camera: string, event: EventInput): unknown;
}

export class EventLog extends EventEmitter<{ event: [LoggedEvent] }> {
  private events: LoggedEvent[] = [];

  constructor(
    private readonly keepMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  add(camera: string, event: EventInput): void {
    const logged: LoggedEvent = { ...event, camera, at: this.now() };
    this.events.push(logged);
    this.prune();
    this.emit('event', logged);
  }

  /** Newest first, of one camera or all. */
  recent(camera?: string): LoggedEvent[] {
    this.prune();
    return this.events.filter((e) => camera === undefined || e.camera === camera).reverse();
  }

  private prune(): void {
    const oldest = this.now() - this.keepMs;
    let drop = 0;
    while (drop < this.events.length && this.events[drop].at < oldest) drop++;
    if (drop > 0) this.events = this.events.slice(drop);
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
