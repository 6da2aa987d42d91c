#!/usr/bin/env node
'use strict';
// Motion gating, measured on the real daemon (issue 17; the numbers in docs/performance.md):
//   1. a video of a still scene (made here from vtest.avi's first frame, MJPG like a USB camera),
//      looping at 10 FPS: CPU time of the daemon and its capture process per minute, gating on vs off;
//   2. vtest.avi (people walking) once through at media speed: the track start/end events with gating
//      on vs off; every gating-off track must have a gating-on track of the same label starting within 1 s.
// CPU time is read from /proc/<pid>/stat (utime + stime) of the daemon and every live descendant, plus
// what reaped children left in cutime/cstime; all threads (the inference worker's too) are counted.
//
//   node scripts/measure-motion-gating.js [--seconds 60] [--settle 15] [--max-fps 5] [--still-fps 10] [--skip-still] [--skip-tracks] [--json out.json]
//                                         [--only-on] [--trace out.json] [--cpu-prof DIR] [--threads]
// --only-on: the still scene with gating on only (when profiling or tracing); --trace: every message of the
// gated still run (timing, detections, events) with the daemon's log, to see why the model ran on a frame;
// --threads: CPU per minute of each thread (name from /proc) of the daemon and its capture process;
// --cpu-prof: the daemon and its capture process are profiled (V8's CPU profiler, started by a --require hook
// because Node refuses --cpu-prof in NODE_OPTIONS), one .cpuprofile per process written to DIR at its exit.
// Needs: npm run build, the model (models/ssdlite_mobilenet_v2_coco.onnx), .cache/testdata/vtest.avi,
// mosquitto on PATH.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');

const ROOT = path.join(__dirname, '..');
const VTEST = path.join(ROOT, '.cache', 'testdata', 'vtest.avi');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '60'));
const MAX_FPS = Number(opt('max-fps', '5'));
const SETTLE_S = Number(opt('settle', '15'));
/** Frame rate of the still video: 10 like vtest.avi, or max_fps (a camera set to the rate it is detected at). */
const STILL_FPS = Number(opt('still-fps', '10'));
const TRACE = opt('trace');
const CPU_PROF = opt('cpu-prof');
const THREADS = args.includes('--threads');
// The bench's /proc reader (npm run build): USER_HZ and the process tree.
const { clockTicks, descendants, readAllStats } = require(path.join(ROOT, 'dist', 'bench', 'proc.js'));
const TICK = clockTicks();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** utime + stime (+ cutime + cstime of reaped children) of `pid`, in ms; undefined when it is gone. */
function cpuMs(pid, withReaped) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  const ticks = Number(f[11]) + Number(f[12]) + (withReaped ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1000) / TICK;
}

/** CPU ms per thread of `pid` (name from /proc's comm), or {} when it is gone. */
function threadCpu(pid) {
  const out = {};
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[`${comm}#${tid === String(pid) ? 'main' : tid}`] = ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
  }
  return out;
}

/** Per thread of every process in `pids`, ms per minute between two threadCpu readings; busy ones only. */
function threadRates(before, after, wall) {
  const out = {};
  for (const [pid, threads] of Object.entries(after)) {
    for (const [name, ms] of Object.entries(threads)) {
      const rate = Math.round(((ms - (before[pid]?.[name] ?? 0)) / wall) * 60);
      if (rate >= 20) out[`${pid}:${name}`] = rate;
    }
  }
  return out;
}

/** CPU ms of the daemon and everything under it, per process. */
function treeCpu(root) {
  const per = { [root]: cpuMs(root, true) ?? 0 };
  for (const { pid } of descendants(root, readAllStats() ?? [])) per[pid] = cpuMs(pid, true) ?? 0;
  return per;
}

/** A --require hook that profiles its process from start to exit (see --cpu-prof above). */
function profileHook(dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `hook-${name}.js`);
  const code = `'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, r) => {
    if (err) return;
    const who = path.basename(process.argv[1] || 'node').replace(/\\W+/g, '_');
    fs.writeFileSync(path.join(${JSON.stringify(dir)}, ${JSON.stringify(name)} + '-' + who + '-' + process.pid + '.cpuprofile'), JSON.stringify(r.profile));
  });
});
`;
  fs.writeFileSync(file, code);
  return file;
}

async function runDaemon({ dir, port, name, video, motion, loop, seconds }) {
  const id = `measure-${name}`;
  const config = {
    device: { id },
    log: { level: 'info', format: 'json' },
    state_dir: path.join(dir, `state-${name}`),
    mqtt: { url: `mqtt://127.0.0.1:${port}` },
    homeassistant: { discovery: false },
    http: { enabled: false },
    adaptive: { enabled: false },
    capture: { max_fps: MAX_FPS },
    cameras: [{ name: 'cam', source: { type: 'file', path: video, loop, realtime: true }, motion: { enabled: motion } }],
  };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`);
  await new Promise((r) => client.once('connect', r));
  const base = `lookout/${id}/cam`;
  const seen = { timing: [], events: [], motion: [], status: [], detections: [] };
  client.subscribe(`${base}/#`);
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    if (topic === `${base}/timing`) seen.timing.push(JSON.parse(text));
    else if (topic === `${base}/events`) seen.events.push(JSON.parse(text));
    else if (topic === `${base}/motion`) seen.motion.push(text);
    else if (topic === `${base}/status` && text) seen.status.push(JSON.parse(text));
    else if (topic === `${base}/detections` && TRACE) seen.detections.push(JSON.parse(text));
  });
  // NODE_OPTIONS reaches the capture process too (its environment is the daemon's, plus malloc settings).
  const env = CPU_PROF ? { ...process.env, NODE_OPTIONS: `--require ${profileHook(path.resolve(CPU_PROF), name)}` } : process.env;
  const daemon = spawn(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), 'run', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  daemon.stderr.on('data', (d) => (stderr += d));
  process.once('exit', () => daemon.kill('SIGKILL')); // a failed measurement leaves no daemon behind
  const deadline = Date.now() + 120_000;
  while (seen.timing.length < 3) {
    if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`${name}: no frames (${stderr.slice(-2000)})`);
    await sleep(100);
  }
  const firstTs = seen.timing[0].ts;
  const result = { name, motion };
  if (seconds) {
    // Past the model's warm-up, and past STATIONARY_AFTER_MS (10 s): the still scene's tracks (people,
    // parked cars in vtest.avi's first frame) become stationary and no longer keep the model running.
    await sleep(SETTLE_S * 1000);
    const timingBefore = seen.timing.length;
    const before = treeCpu(daemon.pid);
    const threadsBefore = THREADS ? Object.fromEntries(Object.keys(before).map((pid) => [pid, threadCpu(pid)])) : {};
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const after = treeCpu(daemon.pid);
    const wall = (Date.now() - t0) / 1000;
    if (THREADS) result.threads_cpu_ms_per_min = threadRates(threadsBefore, Object.fromEntries(Object.keys(after).map((pid) => [pid, threadCpu(pid)])), wall);
    const frames = seen.timing.slice(timingBefore);
    const total = (o) => Object.values(o).reduce((s, v) => s + v, 0);
    result.cpu_ms_per_min = Math.round(((total(after) - total(before)) / wall) * 60);
    result.daemon_cpu_ms_per_min = Math.round((((after[daemon.pid] ?? 0) - (before[daemon.pid] ?? 0)) / wall) * 60);
    result.capture_cpu_ms_per_min = result.cpu_ms_per_min - result.daemon_cpu_ms_per_min;
    result.frames = frames.length;
    result.detected = frames.filter((t) => !t.skipped).length;
    result.skipped = frames.filter((t) => t.skipped).length;
    result.skipped_reasons = [...new Set(frames.filter((t) => t.skipped).map((t) => t.skipped))];
    result.wall_s = Math.round(wall * 10) / 10;
  } else {
    // A file that ended leaves its camera `stopped` with the reason (docs/mqtt.md).
    while (!seen.status.some((st) => st.state === 'stopped' && /end of/.test(st.reason ?? ''))) {
      if (Date.now() > deadline + 300_000 || daemon.exitCode !== null) throw new Error(`${name}: the video never ended (${stderr.slice(-2000)})`);
      await sleep(200);
    }
  }
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  await sleep(300);
  client.end(true);
  result.skipped_total = seen.timing.filter((t) => t.skipped).length;
  result.motion_states = seen.motion;
  result.tracks = tracksOf(seen.events, firstTs);
  if (TRACE && motion) {
    const t0 = seen.timing[0].ts;
    const rel = (ts) => Math.round(ts - t0) / 1000;
    const timing = seen.timing.map((t) => ({
      s: rel(t.ts),
      frame: t.frame,
      skipped: t.skipped,
      moving: t.motion?.moving,
      area: t.motion?.area,
      regions: t.motion?.regions,
    }));
    const detections = seen.detections.map((d) => ({
      s: rel(d.ts),
      frame: d.frame,
      found: (d.detections ?? []).map((x) => ({ id: x.track_id, label: x.label, score: x.score, box: x.box })),
    }));
    fs.writeFileSync(TRACE, JSON.stringify({ timing, detections, events: seen.events, log: stderr.split('\n').filter(Boolean) }, null, 1));
  }
  return result;
}

/** Tracks from start/end events, times relative to the run's first frame (s). */
function tracksOf(events, firstTs) {
  const byId = new Map();
  for (const e of events) {
    if (e.type === 'update') continue;
    const t = byId.get(e.track_id) ?? { id: e.track_id, label: e.label };
    if (e.type === 'start') Object.assign(t, { start_s: (e.started_at - firstTs) / 1000, box: e.box });
    if (e.type === 'end') t.end_s = ((e.ended_at ?? e.updated_at) - firstTs) / 1000;
    byId.set(e.track_id, t);
  }
  return [...byId.values()].filter((t) => t.start_s !== undefined).sort((a, b) => a.start_s - b.start_s);
}

const iou = (a, b) => {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const i = w * h;
  return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
};

/**
 * Each track of run `off` paired with one of run `on`: same label, start within 1 s, start boxes that
 * overlap. The tracker splits and joins tracks of people who cross, and which frames a newest-frame
 * pipeline gets differs from run to run, so two gating-off runs are compared the same way as the
 * baseline of what "the same tracks" can mean here.
 */
function compareTracks(off, on) {
  const used = new Set();
  const rows = off.map((t) => {
    const candidates = on
      .filter((u) => !used.has(u.id) && u.label === t.label && Math.abs(u.start_s - t.start_s) <= 1 && iou(u.box, t.box) > 0)
      .sort((a, b) => Math.abs(a.start_s - t.start_s) - Math.abs(b.start_s - t.start_s));
    const m = candidates[0];
    if (m) used.add(m.id);
    return { label: t.label, off_start_s: t.start_s, on_start_s: m?.start_s, off_end_s: t.end_s, on_end_s: m?.end_s };
  });
  return { matched: rows.filter((r) => r.on_start_s !== undefined).length, of: off.length, on_tracks: on.length, extra_on: on.length - used.size, rows };
}

async function main() {
  for (const [p, fix] of [
    [path.join(ROOT, 'dist', 'cli.js'), 'npm run build'],
    [VTEST, 'scripts/setup.sh --test'],
  ])
    if (!fs.existsSync(p)) throw new Error(`missing ${p} (run: ${fix})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-gating-'));
  const still = path.join(dir, 'still.avi');
  execFileSync(process.execPath, [path.join(ROOT, 'test', 'integration', 'capture', 'still-video.js'), still, '100', String(STILL_FPS)], { cwd: ROOT });
  const port = await freePort();
  const broker = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
  await sleep(500);
  const out = { machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`, node: process.version, max_fps: MAX_FPS, still_fps: STILL_FPS, seconds: SECONDS };
  try {
    if (!args.includes('--skip-still')) {
      if (!args.includes('--only-on'))
        out.still_off = await runDaemon({ dir, port, name: 'still-off', video: still, motion: false, loop: true, seconds: SECONDS });
      out.still_on = await runDaemon({ dir, port, name: 'still-on', video: still, motion: true, loop: true, seconds: SECONDS });
      if (out.still_off) out.cpu_on_over_off = Math.round((out.still_on.cpu_ms_per_min / out.still_off.cpu_ms_per_min) * 1000) / 1000;
      delete out.still_off?.tracks;
      delete out.still_on.tracks;
    }
    if (!args.includes('--skip-tracks')) {
      const off = await runDaemon({ dir, port, name: 'vtest-off', video: VTEST, motion: false, loop: false });
      const off2 = await runDaemon({ dir, port, name: 'vtest-off2', video: VTEST, motion: false, loop: false });
      const on = await runDaemon({ dir, port, name: 'vtest-on', video: VTEST, motion: true, loop: false });
      out.vtest_tracks = compareTracks(off.tracks, on.tracks);
      out.vtest_tracks_off_vs_off = compareTracks(off.tracks, off2.tracks);
      out.vtest_skipped_on = on.skipped_total;
      out.vtest_motion_states_on = on.motion_states;
    }
  } finally {
    broker.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const json = JSON.stringify(out, null, 1);
  if (opt('json')) fs.writeFileSync(opt('json'), json);
  console.log(json);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
