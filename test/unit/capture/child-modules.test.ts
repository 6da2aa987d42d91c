// What a capture process loads: every camera runs one, so a package it loads and does not use is
// paid once per camera (issue 17's memory per additional camera).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', '..', 'src');

test('the capture process loads no npm package of its own at start (no schema validator: ajv was 1.6 MB of its heap)', () => {
  // From the sources, as the capture tests run it; the source loader itself brings TypeScript.
  const script = `require(${JSON.stringify(path.join(SRC, 'capture', 'capture-child.ts'))});
const packages = Object.keys(require.cache).flatMap((f) => { const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f); return m ? [m[1]] : []; });
process.stdout.write(JSON.stringify([...new Set(packages)]));
process.exit(0);`;
  const out = execFileSync(process.execPath, ['--require', path.join(SRC, 'util', 'source-loader.js'), '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect((JSON.parse(out) as string[]).filter((p) => p !== 'typescript')).toEqual([]);
});
