import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { CameraCapture, CameraStatusChange, CaptureState, Frame } from '../../../src/capture';
import type { FetchedJpeg, JpegOptions } from '../../../src/capture/handover';

export const repoRoot = path.join(__dirname, '..', '..', '..');
export const testdata = (name: string): string => path.join(repoRoot, '.cache', 'testdata', name);

/** Runs OpenCV in a plain Node process (see cv-tool.js for why not in the test process). */
export function cvTool(...args: string[]): string {
  return execFileSync(process.execPath, [path.join(__dirname, 'cv-tool.js'), ...args], { encoding: 'utf8', timeout: 60000 });
}

/** cvTool with the project's TypeScript loadable (for commands that run src/ code, like `preprocess`). */
export function cvToolWithSources(...args: string[]): string {
  const loader = path.join(repoRoot, 'src', 'util', 'source-loader.js');
  return execFileSync(process.execPath, ['--require', loader, path.join(__dirname, 'cv-tool.js'), ...args], { encoding: 'utf8', timeout: 60000 });
}

/** OpenCV's own decoding of the first frame of a video, optionally rotated/flipped/cropped, as BGR bytes. */
export function firstFrameByOpenCv(
  video: string,
  tmpDir: string,
  t: { rotate?: number; flip?: number; rect?: { x: number; y: number; width: number; height: number } } = {},
): Buffer {
  const out = path.join(tmpDir, `frame-${process.hrtime.bigint()}.raw`);
  cvTool('frame', video, out, JSON.stringify(t));
  return fs.readFileSync(out);
}

export function imageSizes(files: string[]): Array<{ width: number; height: number }> {
  return JSON.parse(cvTool('sizes', ...files)) as Array<{ width: number; height: number }>;
}

/** Records every status change of a capture. */
export function recordStates(cap: CameraCapture): CameraStatusChange[] {
  const seen: CameraStatusChange[] = [];
  cap.on('status', (s) => seen.push(s));
  return seen;
}

/**
 * Resolves with the first status change (from now on, or the current state) that matches; rejects
 * after `timeoutMs` listing what was seen, so a failure says where it got stuck.
 */
export function waitForState(
  cap: CameraCapture,
  state: CaptureState,
  timeoutMs: number,
  match: (s: CameraStatusChange) => boolean = () => true,
): Promise<CameraStatusChange> {
  const now = cap.status;
  if (now.state === state && match({ ...now, previous: now.state })) return Promise.resolve({ ...now, previous: now.state });
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const onStatus = (s: CameraStatusChange): void => {
      seen.push(`${s.state}${s.reason ? ` (${s.reason})` : ''}`);
      if (s.state === state && match(s)) {
        clearTimeout(timer);
        cap.off('status', onStatus);
        resolve(s);
      }
    };
    const timer = setTimeout(() => {
      cap.off('status', onStatus);
      reject(new Error(`camera ${cap.camera}: no '${state}' within ${timeoutMs} ms; saw: ${seen.join(' → ') || 'nothing'}; now ${cap.status.state}`));
    }, timeoutMs);
    cap.on('status', onStatus);
  });
}

/** nextFrame with a deadline, so a broken capture fails the test instead of hanging it. */
export async function frameWithin(cap: CameraCapture, timeoutMs: number): Promise<Frame> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(new Error(`camera ${cap.camera}: no frame within ${timeoutMs} ms (state ${cap.status.state})`)), timeoutMs);
  try {
    return await cap.nextFrame(ac.signal);
  } finally {
    clearTimeout(t);
  }
}

/** A short real clip: the first `frames` frames of vtest.avi, re-encoded as MJPG AVI at 10 fps. */
export function writeShortClip(file: string, frames: number): void {
  cvTool('clip', file, String(frames));
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) throw new Error(`could not write test clip ${file}`);
}

/** The frame's BGR pixels (a capture opened without a model input hands them over); throws otherwise. */
export function pixelsOf(f: Frame): Buffer {
  if (!f.data) throw new Error(`frame ${f.seq} came without pixels (was the capture opened with a model input?)`);
  return f.data;
}

/** The frame's JPEG from its capture process's ring (a capture opened with a model input); throws otherwise. */
export function fetchJpeg(f: Frame, options: JpegOptions): Promise<FetchedJpeg> {
  if (!f.jpeg) throw new Error(`frame ${f.seq} cannot be fetched (was the capture opened without a model input?)`);
  return f.jpeg(options);
}
