// The daemon's side of a capture process, against a stand-in capture process (a few lines of plain
// Node below, no OpenCV) that writes frame records and messages the way capture-child.ts does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureProcess, type CaptureProcessHandlers } from '../../../src/capture/capture-process';
import type { PreparedOpen } from '../../../src/capture/open-plan';
import type { ChildMessage, FrameRecord } from '../../../src/capture/protocol';
import { silentLogger } from '../../../src/log';

const FAKE_CHILD = `
const net = require('node:net');
function record(seq, w, h) {
  const header = Buffer.from(JSON.stringify({ seq, ts: Date.now(), captureMs: 1, width: w, height: h }));
  const prefix = Buffer.alloc(12);
  prefix.write('LKF1', 0, 'latin1');
  prefix.writeUInt32LE(header.length, 4);
  prefix.writeUInt32LE(w * h * 3, 8);
  return Buffer.concat([prefix, header, Buffer.alloc(w * h * 3, seq)]);
}
process.on('message', (m) => {
  if (m.t !== 'start') return;
  const mode = m.plan.camera;
  const out = new net.Socket({ fd: 4, readable: false, writable: true });
  process.send({ t: 'nonsense' });
  process.send({ t: 'opened', width: 4, height: 2, fps: 5, fourcc: 'MJPG', frameCount: 0 });
  if (mode === 'hang') return;
  if (mode === 'late-words' || mode === 'holds-stderr') {
    // A grandchild (think of a GStreamer helper) shares stderr and outlives this process.
    const hold = mode === 'late-words' ? 300 : 60000;
    const g = require('node:child_process').spawn(process.execPath, ['-e',
      'console.error("the real reason, said late"); setTimeout(() => {}, ' + hold + ')'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    process.send({ t: 'warn', message: String(g.pid) }, () => process.exit(1));
    return;
  }
  if (mode === 'corrupt') { out.write(Buffer.from('this is not a frame record at all')); return; }
  process.stderr.write('[ WARN:0@0.1] global cap.cpp (1) open OpenCV | GStreamer warning: the tape ran out\\n');
  // The final word, then a big last frame, then exit as soon as its last bytes are in the pipe:
  // the frame must still be read to the end.
  process.send({ t: 'ended', reason: 'end of media', captured: 1 }, () => {
    out.write(record(1, 1920, 1080), () => process.exit(0));
  });
});
`;

let dir: string;
let child: string;
const running: CaptureProcess[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-capture-process-'));
  child = path.join(dir, 'fake-child.js');
  fs.writeFileSync(child, FAKE_CHILD);
});
afterEach(() => {
  for (const p of running.splice(0)) {
    p.kill();
    p.close();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Seen {
  messages: ChildMessage[];
  frames: FrameRecord[];
  failures: string[];
  /** What had arrived when `ended` was called, and the exit. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; frames: number; messages: string[] }>;
}

function start(mode: string): { proc: CaptureProcess; seen: Seen } {
  const seen = { messages: [], frames: [], failures: [] } as unknown as Seen;
  let proc: CaptureProcess | undefined;
  seen.ended = new Promise((resolve) => {
    const handlers: CaptureProcessHandlers = {
      message: (m) => seen.messages.push(m),
      frame: (r) => seen.frames.push(r),
      failed: (kind, reason) => seen.failures.push(`${kind}: ${reason}`),
      ended: (code, signal) => resolve({ code, signal, frames: seen.frames.length, messages: seen.messages.map((m) => m.t) }),
    };
    const prepared = { plan: { camera: mode }, env: {} } as unknown as PreparedOpen;
    proc = new CaptureProcess({ file: child, execArgv: [] }, prepared, handlers, silentLogger);
  });
  running.push(proc as unknown as CaptureProcess);
  return { proc: proc as unknown as CaptureProcess, seen };
}

test('a process that sends its last frame and final word and exits at once: everything is read before it counts as ended', async () => {
  const { proc, seen } = start('end');
  const end = await seen.ended;
  expect(end).toEqual({ code: 0, signal: null, frames: 1, messages: ['opened', 'ended'] });
  expect(seen.frames[0]?.header).toMatchObject({ seq: 1, width: 1920, height: 1080 });
  expect(seen.frames[0]?.data.length).toBe(1920 * 1080 * 3);
  expect(seen.messages).not.toContainEqual({ t: 'nonsense' });
  expect(proc.stderrLines.join('\n')).toContain('the tape ran out');
  expect(proc.exited).toBe(true);
});

test('what the process said on stderr before its pipe closed is kept, even after the process is gone', async () => {
  const { proc, seen } = start('late-words');
  const end = await seen.ended;
  expect(end.code).toBe(1);
  expect(proc.stderrLines).toContain('the real reason, said late');
});

test('a pipe held open by a grandchild does not hold up the end for ever', async () => {
  const { proc, seen } = start('holds-stderr');
  const end = await seen.ended;
  const grandchild = Number((seen.messages.find((m) => m.t === 'warn') as { message: string }).message);
  process.kill(grandchild, 'SIGKILL');
  expect(end.code).toBe(1);
  expect(proc.exited).toBe(true);
});

test('a corrupt frame stream is reported and the process is killed', async () => {
  const { seen } = start('corrupt');
  const end = await seen.ended;
  expect(seen.failures).toEqual([expect.stringMatching(/^corrupt: corrupt frame stream \(magic 0x/)]);
  expect(end.signal).toBe('SIGKILL');
  expect(seen.frames).toEqual([]);
});

test('a process that does not stop is waited for a bounded time, then killed', async () => {
  const { proc, seen } = start('hang');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (seen.messages.length > 0) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  proc.send({ t: 'stop' }); // this stand-in ignores it, like a process stuck in a native call
  expect(await proc.waitExit(200)).toBe(false);
  proc.kill();
  expect(await proc.waitExit(5000)).toBe(true);
  expect((await seen.ended).signal).toBe('SIGKILL');
});

test('a process that dies before it says anything: its exit code and its own words on stderr are kept', async () => {
  const handlers = { message: jest.fn(), frame: jest.fn(), failed: jest.fn(), ended: jest.fn() };
  const prepared = { plan: { camera: 'x' }, env: {} } as unknown as PreparedOpen;
  // Node refuses the option and exits with code 9 before running the entry.
  const proc = new CaptureProcess({ file: child, execArgv: ['--no-such-node-option'] }, prepared, handlers, silentLogger);
  running.push(proc);
  await new Promise<void>((resolve) => handlers.ended.mockImplementation(() => resolve()));
  expect(handlers.ended).toHaveBeenCalledWith(9, null);
  expect(proc.stderrLines.join('\n')).toContain('--no-such-node-option');
});
