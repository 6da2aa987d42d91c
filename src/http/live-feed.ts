/**
 * The page's live data as Server-Sent Events: each processed frame's detections and stage times, the
 * cameras' status every second, and events as they are published. The feed listens to the daemon's
 * frames only while a page is connected, so with nobody watching it costs nothing per frame.
 */
import type http from 'node:http';
import type { DetectionsPayload, TimingPayload } from '../mqtt';
import type { EventLog, LoggedEvent } from './event-log';

export interface FrameView {
  camera: string;
  detections: DetectionsPayload;
  timing: TimingPayload;
}

/** The daemon's processed frames; subscribe returns the unsubscribe. */
export interface FrameTap {
  subscribe(listener: (frame: FrameView) => void): () => void;
}

export interface LiveFeedOptions {
  frames: FrameTap;
  events: EventLog;
  /** The cameras' status, sent once a second while someone watches. */
  status(): unknown;
  statusEveryMs?: number;
  /** A page that reads slower than this many unsent bytes is dropped (it reconnects by itself). */
  maxBufferedBytes?: number;
}

export class LiveFeed {
  private readonly clients = new Set<http.ServerResponse>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly onEvent = (e: LoggedEvent) => this.broadcast('event', e);

  constructor(private readonly o: LiveFeedOptions) {}

  get watchers(): number {
    return this.clients.size;
  }

  open(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    req.on('close', () => this.drop(res));
    res.write(sseMessage('status', this.o.status()));
    if (this.clients.size === 1) this.listen();
  }

  /** Ends every stream (server stop). */
  close(): void {
    for (const res of [...this.clients]) {
      res.end();
      this.drop(res);
    }
  }

  private listen(): void {
    this.unsubscribe = this.o.frames.subscribe((f) => this.broadcast('frame', { camera: f.camera, detections: f.detections, timing: f.timing }));
    this.o.events.on('event', this.onEvent);
    this.timer = setInterval(() => this.broadcast('status', this.o.status()), this.o.statusEveryMs ?? 1000);
    this.timer.unref();
  }

  private drop(res: http.ServerResponse): void {
    if (!this.clients.delete(res) || this.clients.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.o.events.off('event', this.onEvent);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = sseMessage(event, data);
    for (const res of [...this.clients]) {
      if (res.writableLength > (this.o.maxBufferedBytes ?? 1 << 20)) {
        res.destroy();
        this.drop(res);
      } else {
        res.write(text);
      }
    }
  }
}

/** One Server-Sent Event. */
function sseMessage(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
