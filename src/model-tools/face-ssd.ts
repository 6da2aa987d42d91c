/**
 * `lookout model build face_ssd_mobilenet_v1`: face-api's SSD face detector rebuilt as ONNX.
 *
 * The weights come from the pinned npm tarball of `@vladmandic/face-api` (MIT), fetched with
 * `npm pack` (nothing installed, no scripts run), tarball and files checked by sha256. They are stored
 * there uint8-quantized per tensor (value = min + q·scale) and are dequantized here. The network is
 * MobileNetV1 1.0 at 512×512 from mobilenet-v1.ts, plus the SSD part face-api runs
 * (src/ssdMobilenetv1/predictionLayer.ts and outputLayer.ts in the tarball): eight extra
 * convolutions, six box predictors on block 11, block 13 and every second extra layer, box decoding
 * against the 5118 anchors shipped in the weights (`Output/extra_dim`), and a sigmoid on class 1.
 *
 * The ONNX contract is the COCO model's: uint8 NHWC RGB in, `boxes` [N,5118,4] (ymin, xmin, ymax,
 * xmax, normalized) and `scores` [N,5118,1] out, no NMS, so the detector decodes it unchanged.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Logger, silentLogger } from '../log';
import { ensureWritableDir, projectRoot, sha256Bytes, sha256File, writeFileAtomic } from './files';
import { manifestPath, readManifest } from './manifest';
import { addMobileNetV1, type LayerWeights, type WeightSource } from './mobilenet-v1';
import { OnnxGraphBuilder } from './onnx-builder';
import { makeTensor, transpose, type Tensor } from './tensor';
import { errorMessage } from '../util/errors';

const execFileP = promisify(execFile);

export const FACE_SSD = {
  name: 'face_ssd_mobilenet_v1',
  npmSpec: '@vladmandic/face-api@1.7.15',
  tarballSha256: '0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031',
  pathInPackage: 'model',
  cacheName: 'face-api-ssd',
  files: {
    'ssd_mobilenetv1_model-weights_manifest.json': '888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955',
    'ssd_mobilenetv1_model.bin': '2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8',
  } as Record<string, string>,
  size: 512,
  /** face-api's BN epsilon (0.001 as float32). */
  epsilon: 0.0010000000474974513,
} as const;

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { scale: number; min: number; dtype: 'uint8' };
}

/** Every float tensor of face-api's weights file, dequantized, by TF name. */
export async function loadFaceWeights(dir: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'ssd_mobilenetv1_model-weights_manifest.json'), 'utf8')) as {
    paths: string[];
    weights: WeightEntry[];
  }[];
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest) {
    const bin = Buffer.concat(await Promise.all(group.paths.map((p) => fs.readFile(path.join(dir, p)))));
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.quantization) {
        if (w.quantization.dtype !== 'uint8') throw new Error(`${w.name}: quantization ${String(w.quantization.dtype)} is not handled`);
        const data = new Float32Array(n);
        // As tfjs' io.decodeWeights does (in double, stored as float32): the values face-api computes with.
        const { scale, min } = w.quantization;
        for (let i = 0; i < n; i++) data[i] = bin[offset + i] * scale + min;
        if (w.dtype === 'float32') out.set(w.name, { shape: w.shape, data });
        offset += n;
      } else {
        if (w.dtype === 'float32')
          out.set(w.name, { shape: w.shape, data: new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + 4 * n)) });
        offset += 4 * n;
      }
    }
    if (offset !== bin.length) throw new Error(`weights file has ${bin.length} bytes, the manifest describes ${offset}`);
  }
  return out;
}

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

function need(w: Weights, name: string): { shape: number[]; data: Float32Array } {
  const t = w.get(name);
  if (!t) throw new Error(`face-api weights have no tensor ${name}`);
  return t;
}

/** TF's HWIO filter (or HWC1 depthwise filter, with perm [2,3,0,1]) in ONNX's OIHW. */
function oihw(t: { shape: number[]; data: Float32Array }, perm: number[]): Tensor {
  return transpose(makeTensor('float32', t.shape, t.data), perm);
}

function backboneWeights(w: Weights): WeightSource {
  return (layer) => {
    const m = /^MobilenetV1\/Conv2d_(\d+)(_depthwise|_pointwise)?$/.exec(layer.name);
    if (!m) throw new Error(`no face-api weights for ${layer.name}`);
    if (m[2] === '_depthwise') {
      const p = `${layer.name}/BatchNorm`;
      const lw: LayerWeights = {
        weight: oihw(need(w, `${layer.name}/depthwise_weights`), [2, 3, 0, 1]).data as Float32Array,
        bn: {
          gamma: need(w, `${p}/gamma`).data,
          beta: need(w, `${p}/beta`).data,
          mean: need(w, `${p}/moving_mean`).data,
          variance: need(w, `${p}/moving_variance`).data,
          epsilon: FACE_SSD.epsilon,
        },
      };
      return lw;
    }
    // The stem is stored as "Conv2d_0_pointwise" although it is a 3×3 convolution.
    const scope = m[2] ? layer.name : `${layer.name}_pointwise`;
    return { weight: oihw(need(w, `${scope}/weights`), [3, 2, 0, 1]).data as Float32Array, bias: need(w, `${scope}/convolution_bn_offset`).data };
  };
}

/** The whole detector as ONNX bytes. */
export function buildFaceSsdOnnx(w: Weights): Uint8Array {
  const S = FACE_SSD.size;
  const b = new OnnxGraphBuilder();
  b.reserveName('image');
  const f32 = (base: string, shape: number[], v: ArrayLike<number>) => b.addInitializer(base, makeTensor('float32', shape, v));
  const i64 = (base: string, v: number[]) => b.addInitializer(base, makeTensor('int64', [v.length], v));
  const node = (op: string, name: string, inputs: string[], attrs = {}) => b.addNode(op, name, inputs, attrs).outputs[0];

  // face-api: x / 127.5 − 1 on the RGB image.
  let x = node('Cast', 'Preprocessor/Cast', ['image'], { to: 1 });
  x = node('Transpose', 'Preprocessor/ToNCHW', [x], { perm: [0, 3, 1, 2] });
  x = node('Div', 'Preprocessor/div', [x, f32('Preprocessor/127.5', [], [127.5])]);
  x = node('Sub', 'Preprocessor/sub', [x, f32('Preprocessor/one', [], [1])]);
  const g = addMobileNetV1(b, x, { alpha: 1, size: S, classes: 0, weights: backboneWeights(w) });

  const relu6Min = f32('relu6_min_pred', [], [0]);
  const relu6Max = f32('relu6_max_pred', [], [6]);
  let h = g.spatial[13][0];
  const extra = (input: string, k: number, stride: number): string => {
    const scope = `Prediction/Conv2d_${k}_pointwise`;
    const wt = need(w, `${scope}/weights`);
    const kernel = wt.shape[0];
    const out = Math.ceil(h / stride);
    const total = Math.max((out - 1) * stride + kernel - h, 0);
    const [p0, p1] = [Math.floor(total / 2), total - Math.floor(total / 2)];
    h = out;
    const y = node(
      'Conv',
      scope,
      [
        input,
        b.addInitializer(`${scope}/weights`, oihw(wt, [3, 2, 0, 1])),
        f32(`${scope}/bias`, [wt.shape[3]], need(w, `${scope}/convolution_bn_offset`).data),
      ],
      {
        kernel_shape: [kernel, kernel],
        strides: [stride, stride],
        pads: [p0, p0, p1, p1],
      },
    );
    return node('Clip', `${scope}/Relu6`, [y, relu6Min, relu6Max]);
  };
  const conv0 = extra(g.blocks[13], 0, 1);
  const conv1 = extra(conv0, 1, 2);
  const conv3 = extra(extra(conv1, 2, 1), 3, 2);
  const conv5 = extra(extra(conv3, 4, 1), 5, 2);
  const conv7 = extra(extra(conv5, 6, 1), 7, 2);

  // face-api reshapes NHWC conv outputs, so anchors run (row, column, anchor); transpose first.
  const predictor = (input: string, k: number, what: 'BoxEncodingPredictor' | 'ClassPredictor', last: number): string => {
    const scope = `Prediction/BoxPredictor_${k}/${what}`;
    const wt = need(w, `${scope}/weights`);
    const y = node(
      'Conv',
      scope,
      [input, b.addInitializer(`${scope}/weights`, oihw(wt, [3, 2, 0, 1])), f32(`${scope}/biases`, [wt.shape[3]], need(w, `${scope}/biases`).data)],
      {
        kernel_shape: [1, 1],
      },
    );
    const nhwc = node('Transpose', `${scope}/ToNHWC`, [y], { perm: [0, 2, 3, 1] });
    return node('Reshape', `${scope}/Reshape`, [nhwc, i64(`${scope}/shape`, [0, -1, last])]);
  };
  const maps = [g.blocks[11], g.blocks[13], conv1, conv3, conv5, conv7];
  const enc = node(
    'Concat',
    'Prediction/box_encodings',
    maps.map((m, k) => predictor(m, k, 'BoxEncodingPredictor', 4)),
    { axis: 1 },
  );
  const cls = node(
    'Concat',
    'Prediction/class_predictions',
    maps.map((m, k) => predictor(m, k, 'ClassPredictor', 3)),
    { axis: 1 },
  );

  // Box decoding (outputLayer.ts): centre += t/10 · size, size ·= exp(t/5), anchors as [ymin,xmin,ymax,xmax].
  const anchors = need(w, 'Output/extra_dim');
  const A = anchors.shape[1];
  const sizes = new Float32Array(2 * A);
  const centers = new Float32Array(2 * A);
  for (let i = 0; i < A; i++) {
    for (let j = 0; j < 2; j++) {
      const lo = anchors.data[4 * i + j];
      const hi = anchors.data[4 * i + j + 2];
      const s = Math.fround(hi - lo);
      sizes[2 * i + j] = s;
      centers[2 * i + j] = Math.fround(lo + Math.fround(s / 2));
    }
  }
  const slice = (t: string, name: string, from: number, to: number) =>
    node('Slice', name, [t, i64(`${name}/starts`, [from]), i64(`${name}/ends`, [to]), i64(`${name}/axes`, [2])]);
  const tCenter = node('Div', 'Postprocessor/center_scale', [slice(enc, 'Postprocessor/t_center', 0, 2), f32('Postprocessor/10', [], [10])]);
  const tSize = node('Div', 'Postprocessor/size_scale', [slice(enc, 'Postprocessor/t_size', 2, 4), f32('Postprocessor/5', [], [5])]);
  const anchorSizes = f32('Postprocessor/anchor_sizes', [A, 2], sizes);
  const center = node('Add', 'Postprocessor/center', [
    node('Mul', 'Postprocessor/center_offset', [tCenter, anchorSizes]),
    f32('Postprocessor/anchor_centers', [A, 2], centers),
  ]);
  const half = node('Div', 'Postprocessor/half', [
    node('Mul', 'Postprocessor/size', [node('Exp', 'Postprocessor/exp', [tSize]), anchorSizes]),
    f32('Postprocessor/2', [], [2]),
  ]);
  const boxes = node('Concat', 'Postprocessor/boxes', [node('Sub', 'Postprocessor/min', [center, half]), node('Add', 'Postprocessor/max', [center, half])], {
    axis: 2,
  });
  const scores = node('Sigmoid', 'Postprocessor/scores', [slice(cls, 'Postprocessor/face_logit', 1, 2)]);
  b.renameTensor(boxes, 'boxes');
  b.renameTensor(scores, 'scores');
  return b.encode({
    inputs: [{ name: 'image', dtype: 'uint8', dims: ['N', S, S, 3] }],
    outputs: [
      { name: 'boxes', dtype: 'float32', dims: ['N', A, 4] },
      { name: 'scores', dtype: 'float32', dims: ['N', A, 1] },
    ],
    opset: 13,
    graphName: FACE_SSD.name,
    producer: 'lookout model build',
    docString:
      `SSD-MobileNetV1 face detector of npm:${FACE_SSD.npmSpec} (MIT), weights dequantized and rebuilt by lookout model build. ` +
      `Input image uint8 [N,${S},${S},3] RGB; outputs boxes [N,${A},4] (ymin,xmin,ymax,xmax normalized) and scores [N,${A},1] (sigmoid, face).`,
  });
}

async function verifyFiles(dir: string): Promise<void> {
  for (const [file, expected] of Object.entries(FACE_SSD.files)) {
    const p = path.join(dir, file);
    if (!existsSync(p)) throw new Error(`${p} is missing from the ${FACE_SSD.npmSpec} files`);
    const actual = await sha256File(p);
    if (actual !== expected) throw new Error(`${p}: sha256 mismatch (expected ${expected}, got ${actual}); the file is corrupt or not the pinned version`);
  }
}

/** Folder with face-api's verified weight files: the cache, or a fresh `npm pack` of the pinned tarball. */
export async function ensureFaceFiles(opts: { cacheDir?: string; force?: boolean; npm?: string } = {}, logger: Logger = silentLogger): Promise<string> {
  const dest = path.join(path.resolve(opts.cacheDir ?? path.join(projectRoot(), '.cache', 'models')), FACE_SSD.cacheName);
  if (!opts.force && existsSync(dest)) {
    try {
      await verifyFiles(dest);
      return dest;
    } catch (e) {
      logger.warn({ cache: dest, err: e }, 'cached face-api files do not verify; fetching again');
    }
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-face-'));
  try {
    logger.info({ spec: FACE_SSD.npmSpec }, 'fetching the original with npm pack');
    await execFileP(opts.npm ?? 'npm', ['pack', FACE_SSD.npmSpec, '--silent', '--pack-destination', tmp], {
      cwd: tmp,
      timeout: 5 * 60_000,
      maxBuffer: 16 << 20,
    }).catch((e: unknown) => {
      throw new Error(
        `npm pack ${FACE_SSD.npmSpec} failed: ${((e as { stderr?: string }).stderr || errorMessage(e)).trim().split('\n').slice(-3).join(' | ')}`,
      );
    });
    const tgz = (await fs.readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${FACE_SSD.npmSpec} wrote no .tgz`);
    const actual = await sha256File(path.join(tmp, tgz));
    if (actual !== FACE_SSD.tarballSha256) throw new Error(`${tgz}: sha256 mismatch (expected ${FACE_SSD.tarballSha256}, got ${actual})`);
    const members = Object.keys(FACE_SSD.files).map((f) => `package/${FACE_SSD.pathInPackage}/${f}`);
    await execFileP('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, '--no-same-owner', ...members], { timeout: 60_000 });
    const extracted = path.join(tmp, 'package', FACE_SSD.pathInPackage);
    await verifyFiles(extracted);
    await fs.rm(dest, { recursive: true, force: true });
    await fs.mkdir(dest, { recursive: true });
    for (const f of Object.keys(FACE_SSD.files)) await fs.copyFile(path.join(extracted, f), path.join(dest, f));
    await verifyFiles(dest);
    return dest;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Builds models/face_ssd_mobilenet_v1.onnx; written only when its sha256 is the manifest's. */
export async function buildFaceModel(
  opts: { modelsDir?: string; cacheDir?: string; force?: boolean; npm?: string } = {},
  logger: Logger = silentLogger,
): Promise<{ path: string; sha256: string; built: boolean }> {
  const modelsDir = path.resolve(opts.modelsDir ?? path.join(projectRoot(), 'models'));
  await ensureWritableDir(modelsDir, 'models folder');
  const manifest = await readManifest(modelsDir, FACE_SSD.name);
  const target = path.join(modelsDir, manifest.file);
  if (!opts.force && existsSync(target) && (await sha256File(target)) === manifest.sha256) return { path: target, sha256: manifest.sha256, built: false };
  const dir = await ensureFaceFiles(opts, logger);
  const bytes = buildFaceSsdOnnx(await loadFaceWeights(dir));
  const sha256 = sha256Bytes(bytes);
  if (sha256 !== manifest.sha256) {
    throw new Error(`built ${FACE_SSD.name} has sha256 ${sha256} but ${manifestPath(modelsDir, FACE_SSD.name)} pins ${manifest.sha256}; not writing it`);
  }
  await writeFileAtomic(target, bytes);
  logger.info({ path: target, sha256 }, 'model written');
  return { path: target, sha256, built: true };
}
