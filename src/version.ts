import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The package version, read once from package.json (two levels up from src/ or dist/). */
export function version(): string {
  if (!cached) {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
