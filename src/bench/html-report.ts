/**
 * `lookout bench --report FILE.html|.svg`: the bench's figures drawn, because someone choosing a
 * board or a model would rather look at them than read a table. One self-contained file: inline SVG,
 * inline style, no script, nothing fetched from anywhere, so it opens offline and can be attached to
 * an issue. Charts: the pipeline's stage timings (mean with p95), the threads scan (FPS and CPU per
 * run), and memory over time (PSS of each process and of all together, RSS of the daemon).
 *
 * Pure: report in, text out.
 */
import type { BareRunResult } from './bare-session';
import type { PipelineResult } from './pipeline-run';
import { STAGES } from './pipeline-run';
import type { BenchReport } from './report';

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface Bar {
  label: string;
  value: number;
  /** A second mark on the bar (e.g. p95). */
  mark?: number;
}

const W = 760;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const n1 = (v: number): string => (Math.round(v * 10) / 10).toString();

/** A round step for about `ticks` ticks over [0, max]. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** A chart's frame: title, y grid with labels; returns the SVG group's inner parts and the plot box. */
function frame(
  title: string,
  height: number,
  yMax: number,
  yLabel: string,
  yMin = 0,
): { parts: string[]; x0: number; x1: number; y0: number; y1: number; y: (v: number) => number } {
  const x0 = 60;
  const x1 = W - 20;
  const y0 = 30;
  const y1 = height - 40;
  const span = yMax - yMin || 1;
  const y = (v: number): number => y1 - ((v - yMin) / span) * (y1 - y0);
  const parts = [`<text x="${x0}" y="18" class="title">${escapeXml(title)}</text>`];
  const step = niceStep(span, 5);
  for (let v = Math.ceil(yMin / step) * step; v <= yMax + 1e-9; v += step) {
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${n1(y(v))}" y2="${n1(y(v))}" class="grid"/>`);
    parts.push(`<text x="${x0 - 6}" y="${n1(y(v) + 4)}" class="tick" text-anchor="end">${n1(v)}</text>`);
  }
  parts.push(
    `<text x="14" y="${n1((y0 + y1) / 2)}" class="axis" transform="rotate(-90 14 ${n1((y0 + y1) / 2)})" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  return { parts, x0, x1, y0, y1, y };
}

/** Horizontal-axis categories, vertical bars (value) with an optional tick (mark). */
export function barChart(title: string, bars: readonly Bar[], yLabel: string, height = 260): string {
  const yMax = Math.max(1e-9, ...bars.map((b) => Math.max(b.value, b.mark ?? 0))) * 1.1;
  const { parts, x0, x1, y1, y } = frame(title, height, yMax, yLabel);
  const slot = (x1 - x0) / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const cx = x0 + slot * (i + 0.5);
    const w = Math.min(48, slot * 0.6);
    parts.push(
      `<rect x="${n1(cx - w / 2)}" y="${n1(y(b.value))}" width="${n1(w)}" height="${n1(y1 - y(b.value))}" fill="${PALETTE[0]}"><title>${escapeXml(`${b.label}: ${n1(b.value)}`)}</title></rect>`,
    );
    if (b.mark !== undefined) parts.push(`<line x1="${n1(cx - w / 2)}" x2="${n1(cx + w / 2)}" y1="${n1(y(b.mark))}" y2="${n1(y(b.mark))}" class="mark"/>`);
    parts.push(`<text x="${n1(cx)}" y="${n1(y(b.value) - 4)}" class="value" text-anchor="middle">${n1(b.value)}</text>`);
    parts.push(`<text x="${n1(cx)}" y="${y1 + 16}" class="tick" text-anchor="middle">${escapeXml(b.label)}</text>`);
  });
  return svg(parts, height, `bar-chart`);
}

/** Lines over a shared x axis, with a legend. */
export function lineChart(title: string, series: readonly Series[], xLabel: string, yLabel: string, height = 300): string {
  const all = series.flatMap((s) => s.points);
  const xMin = Math.min(0, ...all.map((p) => p[0]));
  const xMax = Math.max(1e-9, ...all.map((p) => p[0]));
  const yMax = Math.max(1e-9, ...all.map((p) => p[1])) * 1.1;
  const { parts, x0, x1, y0, y1, y } = frame(title, height, yMax, yLabel);
  const x = (v: number): number => x0 + ((v - xMin) / (xMax - xMin || 1)) * (x1 - x0);
  const xStep = niceStep(xMax - xMin, 8);
  for (let v = Math.ceil(xMin / xStep) * xStep; v <= xMax + 1e-9; v += xStep) {
    parts.push(`<text x="${n1(x(v))}" y="${y1 + 16}" class="tick" text-anchor="middle">${n1(v)}</text>`);
  }
  parts.push(`<text x="${n1((x0 + x1) / 2)}" y="${y1 + 32}" class="axis" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  if (xMin < 0) {
    // The warm-up is drawn (memory grows most there) but not counted; say where it ends.
    parts.push(`<line x1="${n1(x(0))}" x2="${n1(x(0))}" y1="${y0}" y2="${y1}" class="mark"/>`);
    parts.push(`<text x="${n1(x(0) + 4)}" y="${y0 + 10}" class="tick">warm-up ends</text>`);
  }
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    if (s.points.length > 0) {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${n1(x(p[0]))},${n1(y(p[1]))}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8" class="series" data-series="${escapeXml(s.name)}"/>`);
    }
    const ly = 30 + i * 14;
    parts.push(`<rect x="${x1 - 200}" y="${ly - 8}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${x1 - 185}" y="${ly + 1}" class="legend">${escapeXml(s.name)}</text>`);
  });
  return svg(parts, height, 'line-chart');
}

function svg(parts: string[], height: number, kind: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" class="${kind}">${STYLE}${parts.join('')}</svg>`;
}

const STYLE =
  '<style>text{font-family:sans-serif;fill:#222}.title{font-size:14px;font-weight:bold}.tick,.value{font-size:10px}.axis,.legend{font-size:11px}' +
  '.grid{stroke:#ddd;stroke-width:1}.mark{stroke:#d62728;stroke-width:2}</style>';

/** Memory over time of one pipeline run: each process's PSS, all together, and the daemon's RSS. */
export function memorySeries(p: PipelineResult): Series[] {
  const samples = p.memory_samples;
  if (samples.length === 0) return [];
  const pids = [...new Set(samples.flatMap((s) => s.processes.map((q) => q.pid)))];
  const roleOf = (pid: number): string => samples.flatMap((s) => s.processes).find((q) => q.pid === pid)?.role ?? 'process';
  const total: Series = { name: 'PSS, all processes', points: samples.map((s) => [s.t_s, s.processes.reduce((a, q) => a + q.pss_mb, 0)]) };
  const per = pids.map((pid) => ({
    name: `PSS, ${roleOf(pid)} ${pid}`,
    points: samples.flatMap((s) => s.processes.filter((q) => q.pid === pid).map((q) => [s.t_s, q.pss_mb] as [number, number])),
  }));
  const rss: Series = {
    name: 'RSS, daemon',
    points: samples.flatMap((s) => s.processes.filter((q) => q.role === 'daemon').map((q) => [s.t_s, q.rss_mb] as [number, number])),
  };
  return [total, ...per, rss];
}

function scanCharts(scan: readonly BareRunResult[]): string[] {
  return [
    barChart(
      'Threads scan: bare session.run throughput (FPS)',
      scan.map((s) => ({ label: `${s.threads} thread${s.threads > 1 ? 's' : ''}`, value: s.throughput_fps })),
      'FPS',
    ),
    barChart(
      'Threads scan: CPU per run (ms), p95 latency marked',
      scan.map((s) => ({ label: `${s.threads} thread${s.threads > 1 ? 's' : ''}`, value: s.cpu_ms_per_run, mark: s.latency_ms.p95 })),
      'ms',
    ),
  ];
}

/** Every chart of the report, in reading order. */
export function reportCharts(r: BenchReport): string[] {
  const p = r.pipeline;
  const charts = [
    barChart(
      `Pipeline stages, mean ms per frame (p95 marked); ${n1(p.fps)} FPS, efficiency ${r.efficiency}`,
      STAGES.map((s) => ({ label: s.replace(/_ms$/, ''), value: p.stages_ms[s].mean, mark: p.stages_ms[s].p95 })),
      'ms',
    ),
  ];
  const engines: Bar[] = [
    { label: 'ORT bare', value: r.bare.throughput_fps },
    { label: 'pipeline', value: p.fps },
  ];
  if (r.opencv) engines.push({ label: 'OpenCV DNN', value: r.opencv.throughput_fps });
  if (r.tfjs) engines.push({ label: 'ORT 1 thread', value: r.tfjs.ort_throughput_fps }, { label: 'TF.js wasm', value: r.tfjs.tfjs_throughput_fps });
  if (r.int8) engines.push({ label: 'int8 bare', value: r.int8.int8.bare.throughput_fps });
  charts.push(barChart('Frames per second', engines, 'FPS'));
  if (r.threads_scan) charts.push(...scanCharts(r.threads_scan));
  const runs: Array<[string, PipelineResult]> = [
    ['main pipeline run', p],
    ...r.memory_runs.map((m) => [`memory run, ${m.cameras} camera(s)`, m] as [string, PipelineResult]),
  ];
  for (const [name, run] of runs) {
    const series = memorySeries(run);
    if (series.length > 0) charts.push(lineChart(`Memory over time, ${name} (MB)`, series, 'seconds since warm-up', 'MB'));
  }
  return charts;
}

function htmlTable(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>`;
}

export function renderHtmlReport(r: BenchReport): string {
  const m = r.machine;
  const p = r.pipeline;
  const mem = p.memory;
  const rows: Array<[string, string]> = [
    ['machine', `${m.cpu_model}, ${m.cores} cores, ${m.arch}; Node ${m.node}, onnxruntime-node ${m.onnxruntime}, OpenCV ${m.opencv}`],
    ['load average at start', m.load_average.join(' ')],
    ['model', `${r.model.name} (${r.model.input}) on ${m.ep}, ${r.settings.threads} thread(s)`],
    ['source', `${r.source.path} (${r.source.width}×${r.source.height})`],
    ['pipeline', `${n1(p.fps)} FPS; bare ${n1(r.bare.throughput_fps)} FPS; efficiency ${r.efficiency}`],
    [
      'CPU per frame',
      `${p.cpu_ms_per_frame.total} ms (daemon ${p.cpu_ms_per_frame.daemon}, main thread ${p.cpu_ms_per_frame.main_thread ?? '—'}, capture ${p.cpu_ms_per_frame.capture ?? '—'})`,
    ],
  ];
  if (mem) rows.push(['PSS, all processes', `${mem.total_pss_mb.start} → ${mem.total_pss_mb.end} MB (max ${mem.total_pss_mb.max})`]);
  if (r.tfjs) rows.push(['ONNX Runtime / TF.js (wasm)', `${r.tfjs.ort_speedup}× at ${r.tfjs.threads} thread`]);
  if (r.memory_increment_mb_per_camera !== null) rows.push(['PSS per additional camera', `${r.memory_increment_mb_per_camera} MB`]);
  for (const t of r.targets) rows.push([`target: ${t.name} ${t.target}`, t.value === null ? 'not measured' : `${t.value} ${t.pass ? 'PASS' : 'MISS'}`]);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>Lookout bench — ${escapeXml(r.model.name)}, ${escapeXml(r.generated_at)}</title>`,
    '<style>body{font-family:sans-serif;max-width:800px;margin:1em auto;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{text-align:left;padding:2px 8px;border-bottom:1px solid #eee;font-size:13px}svg{display:block;margin:1em 0}</style>',
    '</head><body>',
    `<h1>Lookout bench</h1><p>${escapeXml(r.generated_at)}</p>`,
    htmlTable(rows),
    ...reportCharts(r),
    '</body></html>',
    '',
  ].join('\n');
}

/** All charts stacked in one SVG document. */
export function renderSvgReport(r: BenchReport): string {
  const charts = reportCharts(r);
  let y = 0;
  const placed = charts.map((c) => {
    const h = Number(/height="(\d+)"/.exec(c)?.[1] ?? 300);
    const g = `<g transform="translate(0 ${y})">${c}</g>`;
    y += h;
    return g;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}"><rect width="100%" height="100%" fill="#fff"/>${placed.join('')}</svg>\n`;
}

/** HTML or SVG by the file's extension. */
export function renderReportFile(r: BenchReport, file: string): string {
  return /\.svg$/i.test(file) ? renderSvgReport(r) : renderHtmlReport(r);
}
