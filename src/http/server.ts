import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import type { LookoutMetrics } from './metrics';

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
}

/** `/metrics` (Prometheus text) and `/healthz` (200 while healthy, else 503), localhost by default. */
export class MetricsServer {
  private server?: http.Server;

  constructor(
    private readonly options: MetricsServerOptions,
    private readonly metrics: LookoutMetrics,
    private readonly health: () => HealthReport,
    private readonly logger: Logger,
  ) {}

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
    server.on('error', (err) => this.logger.warn({ err: err.message }, 'metrics server error'));
    const port = (server.address() as AddressInfo).port;
    this.logger.info({ url: `http://${this.options.host}:${port}/metrics` }, 'metrics server listening');
    return port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET') {
        res.writeHead(405).end();
      } else if (req.url === '/metrics') {
        const body = await this.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body);
      } else if (req.url === '/healthz') {
        const report = this.health();
        res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      res.writeHead(500).end((e as Error).message);
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
