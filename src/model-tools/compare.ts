/**
 * `lookout model compare A B --source FILE|FOLDER`: both models on the same frames, and how far B's
 * detections are from A's (recall of A's detections, extras, mean |Δscore|, mean IoU of matched
 * boxes; rules in compare-metrics.ts). Made to judge a quantized model against its FP32 original,
 * but any two models with the same labels compare.
 */
import path from 'node:path';
import { cvError, loadCv, type Mat } from '../cv';
import { expandInputs } from '../detect/inputs';
import { Detector } from '../detect/detector';
import { type Logger, silentLogger } from '../log';
import { type ComparisonSummary, compareFrame, DEFAULT_MATCH_RULES, type FrameComparison, type MatchRules, summarize } from './compare-metrics';
import { errorMessage } from '../util/errors';

export interface CompareCommandOptions {
  a: string;
  b: string;
  /** Image files, videos or folders of them. */
  source: string[];
  modelsDir?: string;
  minScore?: number;
  matchScore?: number;
  iou?: number;
  /** Videos: every n-th frame. Default 1. */
  every?: number;
  threads?: number;
  json?: boolean;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface CompareReport {
  a: { model: string; path: string; inference_ms: number | null };
  b: { model: string; path: string; inference_ms: number | null };
  rules: MatchRules;
  summary: ComparisonSummary;
  frames: FrameComparison[];
}

const EX_USAGE = 64;
const EX_DATA = 65;
const EX_NOINPUT = 66;
const VIDEO = /\.(avi|mp4|mkv|mov|webm|m4v|mpe?g|h264|ts|mjpeg)$/i;

function* framesOf(file: string, every: number): Generator<{ name: string; mat: Mat }> {
  const cv = loadCv();
  if (!VIDEO.test(file)) {
    let mat: Mat;
    try {
      mat = cv.imread(file);
    } catch (e) {
      throw cvError(e, `${file}: not an image OpenCV can decode`);
    }
    if (mat.empty) throw new Error(`${file}: not an image OpenCV can decode`);
    yield { name: file, mat };
    return;
  }
  let cap;
  try {
    cap = new cv.VideoCapture(file);
  } catch (e) {
    throw cvError(e, `${file}: not a video OpenCV can open`);
  }
  try {
    for (let i = 0; ; i++) {
      const mat = cap.read();
      if (mat.empty) {
        if (i === 0) throw new Error(`${file}: video holds no frames OpenCV can decode`);
        return;
      }
      if (i % every === 0) yield { name: `${file}#${i}`, mat };
    }
  } finally {
    cap.release();
  }
}

const fmt = (v: number | null, digits = 3): string => (v === null ? 'n/a' : v.toFixed(digits));
const meanOf = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 100) / 100 : null);

export function formatCompareReport(r: CompareReport): string {
  const s = r.summary;
  const { minScore, matchScore, iou } = r.rules;
  const lines = [
    `A (reference): ${r.a.model}  ${r.a.path}`,
    `B:             ${r.b.model}  ${r.b.path}`,
    `frames: ${s.frames}`,
    `A's detections >= ${minScore}: ${s.reference}`,
    `recall (found by B at >= ${matchScore}, same label, IoU > ${iou}): ${s.matched}/${s.reference} = ${fmt(s.recall)}`,
    `extra (B >= ${minScore} that A lacks at >= ${matchScore}): ${s.extra}`,
    `mean |Δscore| of matched: ${fmt(s.mean_abs_dscore)} (max ${fmt(s.max_abs_dscore)})`,
    `mean IoU of matched: ${fmt(s.mean_iou)}`,
  ];
  if (r.a.inference_ms !== null && r.b.inference_ms !== null) {
    lines.push(
      `inference mean: A ${r.a.inference_ms} ms, B ${r.b.inference_ms} ms (A/B ${(r.a.inference_ms / r.b.inference_ms).toFixed(2)}; informative only, lookout bench measures speed)`,
    );
  }
  for (const f of r.frames) {
    for (const m of f.missed) lines.push(`  missed: ${f.frame} ${m.label} ${m.score.toFixed(2)}`);
    for (const x of f.extra) lines.push(`  extra:  ${f.frame} ${x.label} ${x.score.toFixed(2)}`);
  }
  return lines.join('\n');
}

export async function runCompareCommand(opts: CompareCommandOptions, logger: Logger = silentLogger): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const rules: MatchRules = {
    minScore: opts.minScore ?? DEFAULT_MATCH_RULES.minScore,
    matchScore: opts.matchScore ?? DEFAULT_MATCH_RULES.matchScore,
    iou: opts.iou ?? DEFAULT_MATCH_RULES.iou,
  };
  for (const [flag, v] of [
    ['--min-score', rules.minScore],
    ['--match-score', rules.matchScore],
    ['--iou', rules.iou],
  ] as const) {
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) {
      err(`lookout model compare: ${flag} must be a number between 0 and 1 (got ${String(v)})`);
      return EX_USAGE;
    }
  }
  if (rules.matchScore > rules.minScore) {
    err(`lookout model compare: --match-score (${rules.matchScore}) must not be above --min-score (${rules.minScore})`);
    return EX_USAGE;
  }
  const every = opts.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    err(`lookout model compare: --every must be a positive integer (got ${String(opts.every)})`);
    return EX_USAGE;
  }
  if (!opts.source.length) {
    err('lookout model compare: --source names no file or folder');
    return EX_USAGE;
  }
  const { files, problems } = expandInputs(opts.source);
  if (problems.length) {
    for (const p of problems) err(`lookout model compare: --source ${p.message}`);
    return EX_NOINPUT;
  }

  const load = (model: string) =>
    Detector.load(
      { model, modelsDir: opts.modelsDir, intraOpThreads: opts.threads, scoreThreshold: rules.matchScore, filters: { minScore: rules.matchScore } },
      logger,
    );
  const detectors: Detector[] = [];
  try {
    for (const [which, model] of [
      ['A', opts.a],
      ['B', opts.b],
    ] as const) {
      try {
        detectors.push(await load(model));
      } catch (e) {
        err(`lookout model compare: model ${which} (${model}): ${errorMessage(e)}`);
        return EX_NOINPUT;
      }
    }
    const [a, b] = detectors;
    const frames: FrameComparison[] = [];
    const msA: number[] = [];
    const msB: number[] = [];
    for (const file of files) {
      try {
        for (const { name, mat } of framesOf(file, every)) {
          const ra = await a.detectMat(mat);
          const rb = await b.detectMat(mat);
          msA.push(ra.inference_ms);
          msB.push(rb.inference_ms);
          frames.push(compareFrame(path.relative(process.cwd(), name) || name, ra.detections, rb.detections, rules));
        }
      } catch (e) {
        err(`lookout model compare: ${errorMessage(e)}`);
        return EX_DATA;
      }
    }
    const report: CompareReport = {
      a: { model: a.info.model, path: a.info.modelPath, inference_ms: meanOf(msA) },
      b: { model: b.info.model, path: b.info.modelPath, inference_ms: meanOf(msB) },
      rules,
      summary: summarize(frames),
      frames,
    };
    out(opts.json ? JSON.stringify(report) : formatCompareReport(report));
    return 0;
  } finally {
    for (const d of detectors) await d.close();
  }
}
