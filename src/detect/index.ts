/**
 * Detection engine: model manifest, ONNX Runtime session in a worker, OpenCV preprocessing,
 * decoders for three output formats, NMS, and per-camera filters and zones.
 *
 * The daemon loads one Detector per model and shares it across cameras:
 *
 *   const detector = await Detector.load({ model: 'ssdlite_mobilenet_v2_coco', intraOpThreads: 4 }, logger);
 *   const { detections, preprocess_ms, inference_ms, postprocess_ms } =
 *     await detector.detectMat(frame, { minScore: 0.6, zones: [{ name: 'driveway', points }] });
 *   await detector.close();
 */
export { Detector, DEFAULT_MODEL, DEFAULT_MODELS_DIR, type DetectorOptions, type DetectorInfo, type DetectResult } from './detector';
export type { SessionOptions } from './inference-session';
export {
  applyFilters,
  filterOptionsErrors,
  pointInPolygon,
  DEFAULT_MIN_SCORE,
  type FilterOptions,
  type Zone,
  type ZoneAnchor,
  type Polygon,
  type Point,
} from './filters';
export { nms, iou, type NmsOptions } from './nms';
export { loadManifest, validateManifest, resolveManifestPath, ManifestError, MANIFEST_SCHEMA, type Manifest } from './manifest';
export { ModelMismatchError } from './model-check';
export { UnknownEpError, KNOWN_EPS, AUTO_EPS } from './execution-providers';
export { annotate } from './annotate';
export type { Detection, Box, BgrFrame, Candidate } from './types';
