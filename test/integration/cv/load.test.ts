/**
 * loadCv loads the native binding without @u4/opencv4nodejs's JavaScript loader (memory on a Pi,
 * issue 17), so the promise forms our code awaits must still work the way the package gives them.
 * Run in its own process per test file (jest), so "was the package's loader required" is this file's.
 */
import path from 'node:path';
import { loadCv, setCvThreadsOnLoad } from '../../../src/cv';
import { errorMessage } from '../../../src/util/errors';
import { testdata } from '../capture/helpers';

describe('loadCv', () => {
  setCvThreadsOnLoad(1);
  const cv = loadCv();

  it('does not load the package loader or opencv-build', () => {
    const loaders = Object.keys(require.cache).filter((f) => f.includes(`${path.sep}opencv-build${path.sep}`) || f.endsWith('opencv4nodejs.js'));
    expect(loaders).toEqual([]);
  });

  it('applies the thread count asked for before the binding loaded', () => {
    expect(cv.getNumThreads()).toBe(1);
  });

  it('returns promises from the Async functions and methods', async () => {
    const cap = new cv.VideoCapture(testdata('vtest.avi'));
    const frame = await cap.readAsync();
    cap.release();
    expect([frame.cols, frame.rows]).toEqual([768, 576]);
    const jpeg = await cv.imencodeAsync('.jpg', frame);
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const small = await frame.resizeAsync(30, 40);
    expect([small.cols, small.rows]).toEqual([40, 30]);
  });

  it("rejects with an Error carrying OpenCV's message", async () => {
    await expect(cv.imreadAsync('/nonexistent/lookout.jpg')).rejects.toThrow(/empty Mat/);
    await expect(cv.imreadAsync('/nonexistent/lookout.jpg')).rejects.toBeInstanceOf(Error);
  });

  it('still takes a callback', async () => {
    const mat = new cv.Mat(4, 4, cv.CV_8UC3, [0, 0, 255]);
    const viaCallback = await new Promise<Buffer>((resolve, reject) =>
      (cv.imencodeAsync as unknown as (ext: string, m: unknown, cb: (e: unknown, b: Buffer) => void) => void)('.png', mat, (e, b) =>
        e ? reject(new Error(errorMessage(e))) : resolve(b),
      ),
    );
    expect(viaCallback.subarray(1, 4).toString()).toBe('PNG');
  });
});
