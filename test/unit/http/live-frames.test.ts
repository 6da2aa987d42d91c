import { LiveFrames, type LiveFrameSource } from '../../../src/http/live-frames';

function source() {
  const s = {
    seq: null as number | null,
    encodes: [] as number[],
    fail: false,
    latestSeq: () => s.seq,
    jpeg: async (_camera: string, seq: number, quality: number) => {
      s.encodes.push(seq);
      if (s.fail) throw new Error('frame 7 is no longer held');
      return Buffer.from(`jpeg ${seq} q${quality}`);
    },
  };
  return s;
}

describe('the live picture', () => {
  test('nothing is encoded until a page asks; then one JPEG per new frame, at most fps a second however many ask', async () => {
    const s = source();
    let now = 0;
    const frames = new LiveFrames(
      s satisfies LiveFrameSource,
      () => ({ fps: 2, quality: 70 }),
      () => now,
    );
    s.seq = 1;
    expect(s.encodes).toEqual([]); // frames come and go: no viewer, no encode

    expect((await frames.get('front'))?.jpeg.toString()).toBe('jpeg 1 q70');
    expect((await frames.get('front'))?.seq).toBe(1); // same frame: no second encode
    s.seq = 2;
    now = 300; // under 1/fps = 500 ms since the last encode: the last picture again
    expect((await frames.get('front'))?.seq).toBe(1);
    now = 600;
    const [a, b] = await Promise.all([frames.get('front'), frames.get('front')]);
    expect([a?.seq, b?.seq]).toEqual([2, 2]);
    expect(s.encodes).toEqual([1, 2]);
    expect(frames.encoded).toBe(2);
  });

  test('a camera without a processed frame has no picture; a frame gone meanwhile keeps the previous picture', async () => {
    const s = source();
    let now = 0;
    const frames = new LiveFrames(
      s,
      () => ({ fps: 10, quality: 50 }),
      () => now,
    );
    expect(await frames.get('front')).toBeNull();
    s.seq = 6;
    await frames.get('front');
    s.seq = 7;
    s.fail = true;
    now = 1000;
    expect((await frames.get('front'))?.seq).toBe(6);
  });
});
