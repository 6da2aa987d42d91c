import type http from 'node:http';
import { errorMessage } from '../util/errors';

/** A request the server answers with a 4xx: the status and every problem, for the page to show. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly problems: string[],
  ) {
    super(problems.join('; '));
  }
}

/** The request body as JSON, refused past `maxBytes` (413) or when it is not JSON (400/415). */
export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  // A form or text/plain POST is what a cross-site page can send without asking: only JSON is read.
  if (type !== 'application/json') throw new HttpProblem(415, [`the body must be application/json (got '${type || 'none'}')`]);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new HttpProblem(413, [`the body is ${declared} bytes; at most ${maxBytes} are read`]);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpProblem(413, [`the body is over ${maxBytes} bytes`]);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpProblem(400, [`the body is not JSON: ${errorMessage(e)}`]);
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
