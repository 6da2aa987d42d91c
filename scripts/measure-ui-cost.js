#!/usr/bin/env node
// What the page costs the daemon (docs/ui.md): runs `lookout run` on a video, first with nobody
// watching, then with one viewer that asks what the page asks (the live feed over SSE and a JPEG at
// http.ui.fps), and reports the CPU time of the daemon and its capture processes per processed frame
// in each phase. CPU time comes from /proc (utime + stime of the daemon and its children), frames
// from the daemon's own /metrics. The daemon-wide difference is small next to what a shared machine
// varies by, so the JPEG encode itself (the viewer's main cost) is also timed alone first.
//
//   node scripts/measure-ui-cost.js [--video PATH] [--seconds 60] [--fps 5] [--ui-fps 2] [--model NAME]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROOT = path.resolve(__dirname, '..');
const video = path.resolve(opt('video', path.join(ROOT, '.cache', 'testdata', 'vtest.avi')));
const seconds = Number(opt('seconds', '60'));
const fps = Number(opt('fps', '5'));
const uiFps = Number(opt('ui-fps', '2'));
const model = opt('model', 'ssdlite_mobilenet_v2_coco');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU ms (utime + stime) of the daemon and every process below it (capture children), read by the bench's /proc reader. */
function treeCpuMs(root) {
  const { cpuMsOf, descendants, readAllStats } = require(path.join(ROOT, 'dist', 'bench', 'proc.js'));
  const stats = readAllStats() ?? [];
  const daemon = stats.filter((s) => s.pid === root);
  return [...daemon, ...descendants(root, stats)].reduce((sum, s) => sum + cpuMsOf(s), 0);
}

function get(url, onData) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => (onData ? onData(c) : chunks.push(c)));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (onData) resolve({ req });
  });
}

async function frames(port) {
  const text = (await get(`http://127.0.0.1:${port}/metrics`)).body.toString();
  const m = /^lookout_frames_processed_total\{[^}]*\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

async function phase(pid, port, viewer) {
  const cpu0 = treeCpuMs(pid);
  const f0 = await frames(port);
  const started = Date.now();
  let jpegs = 0;
  let sse = null;
  let stop = false;
  let loop = Promise.resolve();
  if (viewer) {
    sse = (await get(`http://127.0.0.1:${port}/api/live`, () => undefined)).req;
    loop = (async () => {
      while (!stop) {
        const t = Date.now();
        const res = await get(`http://127.0.0.1:${port}/api/cameras/bench/frame.jpg`);
        if (res.status === 200) jpegs++;
        await sleep(Math.max(0, 1000 / uiFps - (Date.now() - t)));
      }
    })();
  }
  await sleep(seconds * 1000);
  stop = true;
  await loop;
  sse?.destroy();
  const n = (await frames(port)) - f0;
  const cpuMs = treeCpuMs(pid) - cpu0;
  return { viewer, seconds: (Date.now() - started) / 1000, frames: n, jpegs, cpu_ms: cpuMs, cpu_ms_per_frame: cpuMs / n };
}

/** CPU ms of one JPEG of the video's frame at `quality`, as the live picture encodes it (OpenCV imencode). */
function jpegCostMs(quality) {
  const { loadCv } = require(path.join(ROOT, 'dist', 'cv.js'));
  const cv = loadCv();
  const cap = new cv.VideoCapture(video);
  for (let i = 0; i < 30; i++) cap.read();
  const mat = cap.read();
  const n = 200;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) cv.imencode('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, quality]);
  const u = process.cpuUsage(t0);
  const out = { width: mat.cols, height: mat.rows, quality, cpu_ms_per_jpeg: (u.user + u.system) / 1000 / n };
  mat.release();
  cap.release();
  return out;
}

async function main() {
  const jpeg = jpegCostMs(70);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ui-cost-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const config = path.join(dir, 'lookout.yaml');
  fs.writeFileSync(
    config,
    [
      'device: { id: uicost }',
      'log: { level: warn, format: json }',
      `state_dir: ${dir}/state`,
      `mqtt: { embedded: { mode: on, port: ${port + 1} } }`,
      'homeassistant: { discovery: false }',
      'adaptive: { enabled: false }',
      'snapshots: { enabled: false }',
      `detector: { model: ${model} }`,
      `http: { enabled: true, port: ${port}, ui: { fps: ${uiFps} } }`,
      'cameras:',
      `  - { name: bench, max_fps: ${fps}, source: { type: file, path: ${JSON.stringify(video)}, loop: true, realtime: true } }`,
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), 'run', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < 600 && !((await frames(port).catch(() => NaN)) > 20); i++) await sleep(500);
    await sleep(5000); // warm-up
    const none = await phase(child.pid, port, false);
    const one = await phase(child.pid, port, true);
    const again = await phase(child.pid, port, false);
    const base = (none.cpu_ms + again.cpu_ms) / (none.frames + again.frames);
    console.log(
      JSON.stringify({ video: path.basename(video), max_fps: fps, ui_fps: uiFps, model, cpus: os.cpus().length, jpeg, phases: [none, one, again] }, null, 1),
    );
    console.log(
      `no viewer: ${base.toFixed(1)} ms CPU per frame; one viewer: ${one.cpu_ms_per_frame.toFixed(1)} ms (${(one.cpu_ms_per_frame - base).toFixed(1)} ms more per frame, ${one.jpegs} JPEGs in ${one.seconds.toFixed(0)} s)`,
    );
    const perFrame = (jpeg.cpu_ms_per_jpeg * one.jpegs) / one.frames;
    console.log(
      `one ${jpeg.width}x${jpeg.height} JPEG (quality ${jpeg.quality}): ${jpeg.cpu_ms_per_jpeg.toFixed(2)} ms CPU; at ${one.jpegs} JPEGs for ${one.frames} frames: ${perFrame.toFixed(2)} ms per frame`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
