// Embedded MQTT broker (aedes) for the zero-setup default: localhost only unless told otherwise.
// aedes speaks MQTT 3.1.1 only, so a link to it must use protocolVersion 4.
import net from 'node:net';
import { createBroker } from 'aedes';
import type { Logger } from '../log';

export interface EmbeddedBrokerOptions {
  /** Interface to listen on. Default 127.0.0.1: other machines cannot reach it. */
  host?: string;
  /** TCP port. Default 1883; 0 picks a free one. */
  port?: number;
}

export interface EmbeddedBroker {
  /** mqtt://host:port of the listening broker. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions, logger: Logger): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 1883;
  const broker = createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  broker.on('clientError', (client, err) => logger.debug({ client: client?.id, err }, 'embedded broker client error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      broker.close();
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `embedded MQTT broker cannot listen on ${host}:${port}: the port is in use (another broker running? set mqtt.embedded.port or use that broker's URL)`,
          ),
        );
      } else {
        reject(new Error(`embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}`));
      }
    });
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as net.AddressInfo).port;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    logger.warn({ host, port: actual }, 'embedded MQTT broker listens beyond localhost without authentication');
  }
  logger.info({ url }, 'embedded MQTT broker (aedes, MQTT 3.1.1) listening');
  let closed: Promise<void> | null = null;
  return {
    url,
    port: actual,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => broker.close(() => resolve()));
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
