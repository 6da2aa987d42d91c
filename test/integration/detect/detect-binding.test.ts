/**
 * A prebuilt OpenCV binding without its build record (a bundle missing @u4/opencv-build's
 * auto-build.json) fails to load with "No build found". `lookout detect` must say that, once, and
 * not blame each photo as undecodable.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

it('lookout detect reports an OpenCV binding that does not load as such, with exit status 70', () => {
  const emptyBuildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-no-cv-build-'));
  try {
    const photos = ['messi5.jpg', 'fruits.jpg'].map((n) => path.join(ROOT, '.cache', 'testdata', n));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), 'detect', ...photos, '--json'], {
      // @u4/opencv-build looks for its build record here instead of in node_modules.
      env: { ...process.env, OPENCV_BUILD_ROOT: emptyBuildRoot, OPENCV4NODEJS_DISABLE_AUTOBUILD: '' },
      encoding: 'utf8',
    });
    const errLines = r.stderr.split('\n').filter((l) => l.startsWith('lookout detect:'));
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toContain('loading the OpenCV binding');
    expect(errLines[0]).toContain(`No build found in ${emptyBuildRoot}`);
    expect(r.stderr).not.toContain('not an image OpenCV can decode');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(70);
  } finally {
    fs.rmSync(emptyBuildRoot, { recursive: true, force: true });
  }
});
