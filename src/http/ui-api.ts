/**
 * The page and its API (docs/ui.md): the static page, each camera's settings and live picture, the
 * live feed (SSE), the last hour's events with their snapshots, and Save. Access rules (secret,
 * same origin, Host) are the server's; this module only answers requests that passed them.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { HttpProblem, readJsonBody, sendJson } from './body';
import type { EventLog } from './event-log';
import type { LiveFeed } from './live-feed';
import type { LiveFrames } from './live-frames';
import { serveUiFile } from './static-files';
import { parseTuning, type TuningSaver } from './tuning';
import { errorMessage } from '../util/errors';

/** The largest body read (a Save with many detailed polygons is a few kB). */
export const MAX_BODY_BYTES = 256 * 1024;

export interface UiApiOptions {
  /** Each configured camera as the page shows and tunes it. */
  cameras(): unknown[];
  /** How often the page asks for a picture (http.ui.fps). */
  uiFps(): number;
  hasCamera(name: string): boolean;
  frames: LiveFrames;
  feed: LiveFeed;
  events: EventLog;
  saver: TuningSaver;
  /** Where event snapshots are stored (snapshots are named <camera>-<track id>-<time>.jpg). */
  snapshotDir(): string;
  uiDir?: string;
}

const SNAPSHOT_NAME = /^[A-Za-z0-9_-]+-\d+-[0-9TZ-]+\.jpg$/;

export class UiApi {
  constructor(private readonly o: UiApiOptions) {}

  /** Answers the request when it is the page's; false when the path is none of these. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    const p = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (p === '/' || p === '/index.html') return get && serveUiFile(res, 'index.html', this.o.uiDir);
    if (p.startsWith('/ui/')) return get && serveUiFile(res, p.slice(4), this.o.uiDir);
    if (!p.startsWith('/api/')) return false;
    try {
      await this.api(req, res, url, get);
    } catch (e) {
      if (e instanceof HttpProblem) sendJson(res, e.status, { ok: false, problems: e.problems });
      else sendJson(res, 500, { ok: false, problems: [errorMessage(e)] });
    }
    return true;
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, get: boolean): Promise<void> {
    const p = url.pathname;
    const camera = /^\/api\/cameras\/([A-Za-z0-9_-]{1,64})\/(frame\.jpg|tuning)$/.exec(p);
    if (p === '/api/cameras' && get) return sendJson(res, 200, { cameras: this.o.cameras(), ui: { fps: this.o.uiFps() } });
    if (p === '/api/live' && get) return this.o.feed.open(req, res);
    if (p === '/api/events' && get) return sendJson(res, 200, { events: this.events(url.searchParams.get('camera') ?? undefined) });
    if (p.startsWith('/api/snapshots/') && get) return this.snapshot(res, p.slice('/api/snapshots/'.length));
    if (camera && !this.o.hasCamera(camera[1])) throw new HttpProblem(404, [`no camera named '${camera[1]}' in the running config`]);
    if (camera?.[2] === 'frame.jpg' && get) return this.frame(res, camera[1]);
    if (camera?.[2] === 'tuning' && req.method === 'POST') {
      const tuning = parseTuning(await readJsonBody(req, MAX_BODY_BYTES));
      return sendJson(res, 200, await this.o.saver.save(camera[1], tuning));
    }
    throw new HttpProblem(p === '/api/cameras' || camera ? 405 : 404, [`${req.method} ${p}: no such API`]);
  }

  private async frame(res: http.ServerResponse, camera: string): Promise<void> {
    const live = await this.o.frames.get(camera);
    if (!live) throw new HttpProblem(404, [`camera ${camera} has no processed frame yet`]);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store', 'x-frame-seq': String(live.seq) }).end(live.jpeg);
  }

  /** Events newest first; those with a snapshot name its file (the newest of that track). */
  private events(camera: string | undefined): unknown[] {
    const events = this.o.events.recent(camera);
    let names: string[] = [];
    if (events.some((e) => e.snapshot)) {
      try {
        names = fs.readdirSync(this.o.snapshotDir()).filter((n) => n.endsWith('.jpg'));
      } catch {
        names = [];
      }
    }
    return events.map((e) => {
      if (!e.snapshot) return e;
      const prefix = `${e.camera}-${e.track_id}-`;
      const file = names
        .filter((n) => n.startsWith(prefix))
        .sort()
        .pop();
      return file ? { ...e, snapshot_url: `/api/snapshots/${file}` } : e;
    });
  }

  private snapshot(res: http.ServerResponse, name: string): void {
    if (!SNAPSHOT_NAME.test(name)) throw new HttpProblem(404, [`no snapshot named '${name}'`]);
    let body: Buffer;
    try {
      body = fs.readFileSync(path.join(this.o.snapshotDir(), name));
    } catch {
      throw new HttpProblem(404, [`no snapshot named '${name}' (pruned, or never written)`]);
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' }).end(body);
  }
}
