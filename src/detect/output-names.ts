/**
 * Default output tensor names of the manifest's output kinds. Their own module because decode.ts
 * needs them in the inference worker, which should not load manifest.ts's schema validator.
 */
export const TF_OD_API_DEFAULT_NAMES = {
  detection_boxes: 'detection_boxes',
  detection_classes: 'detection_classes',
  detection_scores: 'detection_scores',
  num_detections: 'num_detections',
} as const;
export const DETECTION_OUTPUT_DEFAULT_NAME = 'detection_out';
