/** Camera capture: sources, the capture process per camera, newest-frame hand-over, watchdog. */
export {
  CameraCapture,
  CaptureClosedError,
  type CameraStatus,
  type CameraStatusChange,
  type CaptureOptions,
  type CaptureState,
  type CaptureStats,
  type Frame,
} from './camera-capture';
export type { DeliveryMode } from './open-plan';
export type { MotionBox, MotionResult, MotionSpec } from './motion';
export type { BackoffOptions } from '../util/backoff';
export {
  describeSource,
  parseSourceString,
  redactUrl,
  validateSourceSpec,
  type FileSource,
  type GstreamerSource,
  type ImagesSource,
  type JetsonSource,
  type LibcameraSource,
  type SourceKind,
  type SourceSpec,
  type StreamSource,
  type V4l2Source,
} from './source-spec';
export { gstreamerPipelineOf, jetsonPipeline, libcameraPipeline } from './pipelines';
export {
  cropRect,
  rotatedSize,
  transformedSize,
  validateTransform,
  type Flip,
  type NormalizedRegion,
  type PixelRect,
  type Rotation,
  type TransformSpec,
} from './transform';
