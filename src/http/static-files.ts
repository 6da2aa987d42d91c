/**
 * The page's files, served from the package's ui/ folder (plain HTML, CSS and JS: no build step, no
 * CDN). Only files directly in that folder with a known type are served; names are never joined
 * into paths unchecked.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

export const UI_DIR = path.resolve(__dirname, '..', '..', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `name` (e.g. "app.js") from `dir`; false when there is no such file to serve. */
export function serveUiFile(res: http.ServerResponse, name: string, dir = UI_DIR): boolean {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)$/.test(name)) return false;
  const type = TYPES[path.extname(name)];
  if (!type) return false;
  let body: Buffer;
  try {
    body = fs.readFileSync(path.join(dir, name));
  } catch {
    return false;
  }
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(body);
  return true;
}
