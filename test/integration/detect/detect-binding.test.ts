/**
 * The OpenCV binding as `lookout detect` loads it. It is loaded directly, not through
 * @u4/opencv-build, so a prebuilt binding without that package's build record (a bundle missing
 * auto-build.json, which used to fail with "No build found") works; and a binding that does not load
 * is one problem of the installation, said once, not one undecodable image per file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const photos = ['messi5.jpg', 'fruits.jpg'].map((n) => path.join(ROOT, '.cache', 'testdata', n));
const detect = (env: Record<string, string>) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), 'detect', ...photos, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' });

it("detects without opencv-build's build record", () => {
  const emptyBuildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-no-cv-build-'));
  try {
    // @u4/opencv-build would look for its build record here instead of in node_modules.
    const r = detect({ OPENCV_BUILD_ROOT: emptyBuildRoot, OPENCV4NODEJS_DISABLE_AUTOBUILD: '' });
    expect(r.stderr).not.toContain('No build found');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(photos.length);
  } finally {
    fs.rmSync(emptyBuildRoot, { recursive: true, force: true });
  }
});

it('reports an OpenCV binding that does not load as such, once, with exit status 70', () => {
  const missing = path.join(os.tmpdir(), 'lookout-no-such-binding', 'opencv4nodejs.node');
  const r = detect({ LOOKOUT_OPENCV_BINDING: missing });
  const errLines = r.stderr.split('\n').filter((l) => l.startsWith('lookout detect:'));
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toContain(`loading the OpenCV binding LOOKOUT_OPENCV_BINDING=${missing}`);
  expect(r.stderr).not.toContain('not an image OpenCV can decode');
  expect(r.stdout).toBe('');
  expect(r.status).toBe(70);
});
