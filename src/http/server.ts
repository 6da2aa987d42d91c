/**
 * The one HTTP server: `/metrics` (Prometheus text), `/healthz` (200 while healthy, else 503) and,
 * when given, the page and its API (ui-api.ts). Access (auth.ts): on a loopback bind anyone on this
 * machine, the page only under a loopback Host name; on any other bind only requests with the secret.
 * A request that changes something must also come from the page (same origin).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import { carriesSecret, isLoopbackHost, loopbackHostProblem, sameOriginProblem } from './auth';
import { sendJson } from './body';
import type { LookoutMetrics } from './metrics';
import type { UiApi } from './ui-api';
import { errorMessage } from '../util/errors';

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Required of every request when set (it must be set on a non-loopback host). */
  secret: string | null;
}

/** Nothing the page loads comes from elsewhere, and nothing else may frame it. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export class HttpServer {
  private server?: http.Server;

  constructor(
    private readonly options: HttpServerOptions,
    private readonly metrics: LookoutMetrics,
    private readonly health: () => HealthReport,
    private readonly logger: Logger,
    private readonly ui: UiApi | null = null,
  ) {
    if (!options.secret && !isLoopbackHost(options.host)) {
      // The config loader refuses this first (http.auth.secret_file); this is the last line.
      throw new Error(`http.auth.secret_file: required when http.host (${options.host}) is not a loopback address`);
    }
  }

  async start(): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.warn({ err }, 'HTTP server error'));
    const port = (server.address() as AddressInfo).port;
    this.logger.info(
      { url: `http://${this.options.host}:${port}/`, auth: this.options.secret ? 'secret' : 'none (loopback)', page: this.ui !== null },
      'HTTP server listening',
    );
    return port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://lookout.invalid');
      if (this.options.secret && !carriesSecret(req, this.options.secret)) {
        res
          .writeHead(401, { 'www-authenticate': 'Basic realm="Lookout", charset="UTF-8"', 'content-type': 'text/plain' })
          .end('the secret is required (http.auth)\n');
        return;
      }
      if (url.pathname === '/metrics' || url.pathname === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405).end();
        else await this.builtin(url.pathname, res);
        return;
      }
      if (!this.ui) {
        res.writeHead(404).end();
        return;
      }
      for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
      const hostProblem = isLoopbackHost(this.options.host) ? loopbackHostProblem(req) : null;
      if (hostProblem) return sendJson(res, 403, { ok: false, problems: [hostProblem] });
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const originProblem = sameOriginProblem(req);
        if (originProblem) return sendJson(res, 403, { ok: false, problems: [originProblem] });
      }
      if (!(await this.ui.handle(req, res, url))) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } catch (e) {
      // A request that fails unexpectedly is said in the log too: the page may show nothing of it.
      this.logger.error({ err: e, method: req.method, path: req.url }, 'HTTP request failed');
      if (!res.headersSent) res.writeHead(500).end(errorMessage(e));
      else res.destroy();
    }
  }

  private async builtin(pathname: string, res: http.ServerResponse): Promise<void> {
    if (pathname === '/metrics') {
      const body = await this.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body);
    } else {
      const report = this.health();
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
