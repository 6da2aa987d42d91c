// The capture process's reading policy against a scripted stand-in source: what only real OpenCV
// on real files and pipelines exercised before.
import { CaptureLoop, type CaptureLoopDeps, type FrameImage } from '../../../src/capture/capture-loop';
import type { MediaRead, MediaReader } from '../../../src/capture/media-reader';
import type { ChildPlan } from '../../../src/capture/open-plan';
import type { ChildMessage, FrameHeader, OpenedMessage } from '../../../src/capture/protocol';

class Img implements FrameImage {
  released = false;
  readonly empty = false;
  constructor(
    readonly id: number,
    readonly cols = 4,
    readonly rows = 2,
  ) {}
  release(): void {
    this.released = true;
  }
}

/** A source that plays a script of reads: an Img, 'empty' (nothing came) or 'bad' (unreadable image). */
class ScriptedReader implements MediaReader<Img> {
  reads = 0;
  restarts = 0;
  gone = false;
  pending: Array<() => void> = [];
  constructor(
    private script: Array<Img | 'empty' | 'bad'>,
    private readonly opts: { fps?: number; loopScript?: Array<Img | 'empty' | 'bad'>; failOpen?: string; hold?: boolean } = {},
  ) {}
  open(): OpenedMessage {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- OpenCV throws strings; the double does too
    if (this.opts.failOpen) throw this.opts.failOpen;
    return { t: 'opened', width: 4, height: 2, fps: this.opts.fps ?? 10, fourcc: 'MJPG', frameCount: this.script.length };
  }
  async read(): Promise<MediaRead<Img>> {
    if (this.opts.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    const step = this.script[this.reads++];
    if (step === undefined || step === 'empty') return { mat: undefined };
    if (step === 'bad') return { mat: null, positionMs: (this.reads - 1) * 100 };
    return { mat: step, positionMs: (this.reads - 1) * 100 };
  }
  atEnd(): boolean {
    return this.reads >= this.script.length;
  }
  restart(): void {
    this.restarts++;
    if (this.gone) throw new Error('the file is gone: /v.avi');
    this.script = this.opts.loopScript ?? this.script;
    this.reads = 0;
  }
  mediaFps(): number {
    return this.opts.fps ?? 10;
  }
  release(): void {}
}

const basePlan: ChildPlan = {
  camera: 'c',
  open: { type: 'capture', target: '/v.avi', api: 'CAP_FFMPEG' },
  props: [],
  isFile: true,
  loop: false,
  pacing: 'fast',
  imagesFps: 1,
  delivery: 'lossless',
  emptyReadLimit: 3,
  emptyReadDelayMs: 20,
  transform: { rotate: 0, flip: 'none' },
  aliveIntervalMs: 250,
};

function setup(reader: ScriptedReader, plan: Partial<ChildPlan> = {}) {
  const sent: Array<{ id: number; header: FrameHeader }> = [];
  const told: ChildMessage[] = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const deps: CaptureLoopDeps<Img> = {
    plan: { ...basePlan, ...plan },
    reader,
    send: (mat, header) => {
      sent.push({ id: mat.id, header });
      mat.release();
      return true;
    },
    tell: (m) => told.push(m),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    monotonic: () => clock,
  };
  const loop = new CaptureLoop(deps);
  return { loop, sent, told, sleeps };
}

/** Asks for frames as the daemon does, one at a time, until the loop ends. */
async function drain(loop: CaptureLoop<Img>, sent: unknown[]) {
  const done = loop.run();
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const before = sent.length;
    loop.want();
    await new Promise((r) => setImmediate(r));
    if (sent.length === before) await new Promise((r) => setImmediate(r));
  }
  return done;
}

test('lossless: every frame in order with its media position, then the end of the media', async () => {
  const reader = new ScriptedReader([new Img(1), new Img(2), new Img(3)]);
  const { loop, sent, told } = setup(reader);
  const end = await drain(loop, sent);
  expect(sent.map((s) => [s.id, s.header.seq, s.header.positionMs, s.header.loop])).toEqual([
    [1, 1, 0, 0],
    [2, 2, 100, 0],
    [3, 3, 200, 0],
  ]);
  expect(end).toEqual({ final: { t: 'ended', reason: 'end of media', captured: 3 }, code: 0 });
  expect(told.map((m) => m.t)).toEqual(['opened', 'first-frame']);
});

test('lossless never reads over a frame that was not asked for', async () => {
  const reader = new ScriptedReader([new Img(1), new Img(2), new Img(3)]);
  const { loop, sent } = setup(reader);
  const done = loop.run();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  expect(reader.reads).toBe(1); // one read ahead, then it waits
  loop.want();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  expect(sent.map((s) => s.id)).toEqual([1]);
  expect(reader.reads).toBe(2);
  loop.stop();
  expect(await done).toEqual({ code: 0 });
});

test('newest: frames nobody asked for are replaced by newer ones and released at once', async () => {
  const imgs = [new Img(1), new Img(2), new Img(3), new Img(4)];
  const reader = new ScriptedReader([...imgs, 'empty', 'empty', 'empty'], {});
  const { loop, sent } = setup(reader, { delivery: 'newest', isFile: false });
  const end = await loop.run(); // nobody asks
  expect(sent).toEqual([]);
  expect(imgs.map((i) => i.released)).toEqual([true, true, true, true]);
  expect(end).toEqual({ final: { t: 'lost', reason: '3 empty reads in a row (end of stream, or the device went away)', captured: 4 }, code: 0 });
});

test('a stream: empty reads in a row up to the limit, spaced out; one good read resets the count', async () => {
  const reader = new ScriptedReader(['empty', 'empty', new Img(1), 'empty', 'empty', 'empty']);
  const { loop, sleeps } = setup(reader, { delivery: 'newest', isFile: false });
  const end = await loop.run();
  expect(end.final).toEqual({ t: 'lost', reason: '3 empty reads in a row (end of stream, or the device went away)', captured: 1 });
  expect(sleeps).toEqual([20, 20, 20, 20]);
});

test('a looping file starts the next pass with loop + 1; a file gone between passes is lost with the reason', async () => {
  const reader = new ScriptedReader([new Img(1), new Img(2)], { loopScript: [new Img(3), new Img(4)] });
  const { loop, sent } = setup(reader, { loop: true });
  const done = loop.run();
  for (let i = 0; i < 6; i++) {
    if (i === 3) reader.gone = true;
    loop.want();
    for (let k = 0; k < 4; k++) await new Promise((r) => setImmediate(r));
  }
  const end = await done;
  expect(sent.map((s) => [s.header.seq, s.header.loop])).toEqual([
    [1, 0],
    [2, 0],
    [3, 1],
    [4, 1],
  ]);
  expect(end.final).toEqual({ t: 'lost', reason: 'reopening for the next loop failed: the file is gone: /v.avi', captured: 4 });
});

test('a looping source with no readable frame in a whole pass gives up instead of spinning', async () => {
  const reader = new ScriptedReader(['bad', 'bad']);
  const { loop } = setup(reader, { loop: true, open: { type: 'images', files: ['/a.jpg', '/b.jpg'] } });
  expect((await loop.run()).final).toEqual({ t: 'lost', reason: 'no readable frames in a whole pass over the media', captured: 0 });
});

test('realtime pacing holds each frame until its media time', async () => {
  const reader = new ScriptedReader([new Img(1), new Img(2), new Img(3)], { fps: 10 });
  const { loop, sent, sleeps } = setup(reader, { pacing: 'realtime' });
  await drain(loop, sent);
  expect(sleeps).toEqual([100, 100]);
  expect(sent[2].header.ts - sent[0].header.ts).toBe(200);
});

test('an open that fails is the final word, with what OpenCV said', async () => {
  const { loop } = setup(new ScriptedReader([], { failOpen: "VIDEOIO(V4L2:/dev/video7): can't open camera by index" }));
  expect(await loop.run()).toEqual({ final: { t: 'open-failed', reason: "VIDEOIO(V4L2:/dev/video7): can't open camera by index" }, code: 2 });
});

test('a read in flight is reported with its duration, and a stop during it ends the loop when it returns', async () => {
  const reader = new ScriptedReader([new Img(1)], { hold: true });
  const { loop } = setup(reader, { delivery: 'newest', isFile: false });
  const done = loop.run();
  await new Promise((r) => setImmediate(r));
  expect(loop.reading).toBe(true);
  expect(loop.readingMs()).toBe(0);
  loop.stop();
  reader.pending.shift()?.();
  expect(await done).toEqual({ code: 0 });
  expect(loop.reading).toBe(false);
});
