/**
 * Checks a manifest against what ONNX Runtime reports about the real model (input/output names,
 * types, shapes) and against the warm-up run's real output dims, so a wrong manifest fails at load
 * with every contradiction named, not with garbage detections later.
 */
import { outputNamesOf } from './decode';
import type { LoadedReply } from './inference-protocol';
import type { Manifest } from './manifest';
import { inputDims } from './preprocess';

export class ModelMismatchError extends Error {
  constructor(
    readonly modelPath: string,
    readonly manifestPath: string,
    readonly problems: string[],
  ) {
    super(`manifest ${manifestPath} contradicts model ${modelPath}:\n  ${problems.join('\n  ')}`);
    this.name = 'ModelMismatchError';
  }
}

const fmt = (shape: ReadonlyArray<number | string> | undefined): string => `[${(shape ?? []).join(',')}]`;

/** The contradictions between manifest and model; empty when they agree. */
export function modelContradictions(m: Manifest, loaded: LoadedReply): string[] {
  const problems: string[] = [];
  const inputNames = loaded.inputs.map((i) => i.name);
  const input = loaded.inputs.find((i) => i.name === m.input.name);
  if (!input) {
    problems.push(`input.name: manifest says "${m.input.name}" but the model's inputs are ${JSON.stringify(inputNames)}`);
  } else {
    if (input.type !== m.input.dtype) {
      problems.push(`input.dtype: manifest says ${m.input.dtype} but model input "${input.name}" is ${input.type}`);
    }
    const want = inputDims(m.input);
    const shape = input.shape ?? [];
    if (shape.length !== want.length) {
      problems.push(`input: manifest implies shape ${fmt(want)} (${m.input.layout}) but model input "${input.name}" has ${fmt(shape)}`);
    } else if (otherLayoutMatches(m, shape)) {
      const other = m.input.layout === 'NHWC' ? 'NCHW' : 'NHWC';
      problems.push(`input.layout: manifest says ${m.input.layout} (shape ${fmt(want)}) but model input "${input.name}" is ${fmt(shape)}, i.e. ${other}`);
    } else {
      const axes = m.input.layout === 'NHWC' ? ['batch', 'height', 'width', 'channels'] : ['batch', 'channels', 'height', 'width'];
      shape.forEach((d, i) => {
        if (typeof d === 'number' && d !== want[i]) {
          const field = axes[i] === 'height' || axes[i] === 'width' ? `input.${axes[i]}` : `input.layout`;
          problems.push(
            `${field}: manifest implies ${axes[i]} ${want[i]} (shape ${fmt(want)}, ${m.input.layout}) but model input "${input.name}" has ${fmt(shape)}`,
          );
        }
      });
    }
  }
  const extra = inputNames.filter((n) => n !== m.input.name);
  if (extra.length) problems.push(`input: the model has further inputs ${JSON.stringify(extra)} that the detector cannot feed`);

  const outNames = loaded.outputs.map((o) => o.name);
  const { required } = outputNamesOf(m.output);
  for (const name of required) {
    if (!outNames.includes(name)) {
      problems.push(`output: ${m.output.format} needs output "${name}" but the model's outputs are ${JSON.stringify(outNames)}`);
    }
  }
  const dims = (name: string): number[] | undefined => loaded.warmupOutputs.find((o) => o.name === name)?.dims;
  const o = m.output;
  if (o.format === 'boxes+scores') {
    const s = dims(o.scores);
    const b = dims(o.boxes);
    if (s && b) {
      const size = (d: number[]) => d.reduce((x, y) => x * y, 1);
      const anchors = s.length >= 2 ? s[s.length - 2] : NaN;
      const classes = s[s.length - 1];
      if (s.length < 2 || size(s) !== anchors * classes) {
        problems.push(`output.scores: "${o.scores}" has dims ${fmt(s)}; boxes+scores needs [1,anchors,classes]`);
      } else if (b[b.length - 1] !== 4 || size(b) !== anchors * 4) {
        problems.push(`output.boxes: "${o.boxes}" has dims ${fmt(b)}; boxes+scores needs 4 values for each of the ${anchors} anchors of "${o.scores}"`);
      }
      if (o.background_index !== undefined && o.background_index >= classes) {
        problems.push(`output.background_index: ${o.background_index} but "${o.scores}" has only ${classes} classes`);
      }
    }
  } else if (o.format === 'tf-od-api') {
    const b = dims(required[0]);
    if (b && b[b.length - 1] !== 4) problems.push(`output.detection_boxes: "${required[0]}" has dims ${fmt(b)}; needs [1,K,4]`);
  } else {
    const d = dims(required[0]);
    if (d && d[d.length - 1] !== 7) problems.push(`output.detections: "${required[0]}" has dims ${fmt(d)}; DetectionOutput needs [1,1,N,7]`);
  }
  return problems;
}

function otherLayoutMatches(m: Manifest, shape: ReadonlyArray<number | string>): boolean {
  const other = inputDims({ ...m.input, layout: m.input.layout === 'NHWC' ? 'NCHW' : 'NHWC' });
  const same = inputDims(m.input);
  return shape.some((d, i) => typeof d === 'number' && d !== same[i]) && shape.every((d, i) => typeof d !== 'number' || d === other[i]);
}
