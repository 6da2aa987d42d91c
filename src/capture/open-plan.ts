/**
 * Turns a source spec into the plan a capture process executes: what to open with which OpenCV
 * backend, which properties to set, the environment it needs. Done in the daemon before every
 * (re)open, because the answer changes: a by-id link may point at another /dev/videoN, a file may
 * be gone, a folder may have new images. What is simply missing raises SourceUnavailableError with
 * the path to watch for its return.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ManifestInput } from '../detect/manifest';
import { gstPipelineProblems } from './gst-syntax';
import type { MotionSpec } from './motion';
import { ffmpegCaptureOptions, gstreamerPipelineOf } from './pipelines';
import { IMAGE_EXTENSIONS, type SourceSpec } from './source-spec';
import type { Flip, NormalizedRegion, Rotation, TransformSpec } from './transform';
import { DeviceUnavailableError, fourccCode, resolveV4l2Device } from './v4l2';
import { errorMessage } from '../util/errors';

export type CaptureApi = 'CAP_V4L2' | 'CAP_GSTREAMER' | 'CAP_FFMPEG' | 'CAP_ANY';

/**
 * `newest` (cameras): the capture process reads all the time and hands over only the newest frame
 * when asked; frames nobody took are dropped and counted.
 * `lossless` (files, folders, tests, `lookout detect`): it reads the next frame only when asked, so
 * every frame is delivered in order and nothing is dropped.
 */
export type DeliveryMode = 'newest' | 'lossless';

/** What the capture process (capture-child.ts) executes, sent in its 'start' message (protocol.ts). */
export interface ChildPlan {
  camera: string;
  open: { type: 'capture'; target: string | number; api: CaptureApi } | { type: 'images'; files: string[] };
  /** OpenCV property names and values, set in this order right after opening. */
  props: Array<[string, number]>;
  /** The end of the stream is the end of the media: loop or finish, not a lost stream. */
  isFile: boolean;
  loop: boolean;
  /** `source`: as fast as the source delivers (cameras); `realtime`: at media time; `fast`: no waiting. */
  pacing: 'source' | 'realtime' | 'fast';
  /** Images per second for image folders. */
  imagesFps: number;
  delivery: DeliveryMode;
  /** Empty reads in a row that mean the stream is gone. */
  emptyReadLimit: number;
  /** Pause between empty reads, so a dead source does not spin. */
  emptyReadDelayMs: number;
  transform: { rotate: Rotation; flip: Flip; crop?: NormalizedRegion };
  /** How often the capture process reports that it is alive and what it is doing. */
  aliveIntervalMs: number;
  /** Compute motion on every frame handed over (the camera's `motion` block); absent: motion is off. */
  motion?: MotionSpec;
  /**
   * Hand over this model input instead of the frame (issue 17's lean hand-over); the frame stays in
   * the ring for fetching. Absent: the whole BGR frame is handed over.
   */
  modelInput?: ManifestInput;
}

export interface PreparedOpen {
  plan: ChildPlan;
  /** Extra environment for the capture process. */
  env: Record<string, string>;
  /** The GStreamer pipeline, when one is used (for diagnosing a failed open). */
  gstPipeline?: string;
}

export interface PlanSettings {
  camera: string;
  delivery: DeliveryMode;
  transform?: TransformSpec;
  emptyReadLimit: number;
  emptyReadDelayMs: number;
  aliveIntervalMs: number;
  motion?: MotionSpec;
  modelInput?: ManifestInput;
}

/** The source is not there (or not usable) right now; retried with backoff, sooner when watchPath appears. */
export class SourceUnavailableError extends Error {
  constructor(
    message: string,
    /** A path whose appearance means "try again now". */
    readonly watchPath?: string,
  ) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function checkReadableFile(p: string, what: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceUnavailableError(`${what} not found: ${p}`, p);
    throw new SourceUnavailableError(`${what} ${p} cannot be read: ${code ?? errorMessage(e)}`);
  }
  if (st.isDirectory()) throw new SourceUnavailableError(`${what} ${p} is a directory`);
  try {
    await fsp.access(p, fsConstants.R_OK);
  } catch (e) {
    throw new SourceUnavailableError(`${what} ${p} is not readable: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
}

/** The image files of a folder in natural name order (img2 before img10), or the one image given. */
export async function listImages(p: string): Promise<string[]> {
  let st;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceUnavailableError(`image folder not found: ${p}`, p);
    throw new SourceUnavailableError(`image path ${p} cannot be read: ${code ?? errorMessage(e)}`);
  }
  if (!st.isDirectory()) {
    await checkReadableFile(p, 'image');
    return [p];
  }
  const names = (await fsp.readdir(p)).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()));
  if (names.length === 0) {
    throw new SourceUnavailableError(`no images (${IMAGE_EXTENSIONS.join(' ')}) in folder ${p}`);
  }
  return names.sort(naturalCompare).map((n) => path.join(p, n));
}

export async function prepareOpen(spec: SourceSpec, s: PlanSettings): Promise<PreparedOpen> {
  const t = s.transform ?? {};
  const base: Omit<ChildPlan, 'open'> = {
    camera: s.camera,
    props: [],
    isFile: false,
    loop: false,
    pacing: 'source',
    imagesFps: 1,
    delivery: s.delivery,
    emptyReadLimit: s.emptyReadLimit,
    emptyReadDelayMs: s.emptyReadDelayMs,
    transform: { rotate: t.rotate ?? 0, flip: t.flip ?? 'none', ...(t.crop ? { crop: t.crop } : {}) },
    aliveIntervalMs: s.aliveIntervalMs,
    ...(s.motion ? { motion: s.motion } : {}),
    ...(s.modelInput ? { modelInput: s.modelInput } : {}),
  };
  const gst = (pipeline: string): PreparedOpen => {
    const problems = gstPipelineProblems(pipeline);
    if (problems.length) throw new SourceUnavailableError(`GStreamer pipeline rejected: ${problems.join('; ')}`);
    return { plan: { ...base, open: { type: 'capture', target: pipeline, api: 'CAP_GSTREAMER' } }, env: {}, gstPipeline: pipeline };
  };

  switch (spec.kind) {
    case 'v4l2': {
      let dev;
      try {
        dev = await resolveV4l2Device(spec.device);
      } catch (e) {
        if (e instanceof DeviceUnavailableError) throw new SourceUnavailableError(e.message, e.present ? undefined : e.watchPath);
        throw e;
      }
      // FOURCC first: the modes a driver offers depend on the pixel format.
      const props: Array<[string, number]> = [];
      if (spec.fourcc) props.push(['CAP_PROP_FOURCC', fourccCode(spec.fourcc)]);
      if (spec.width) props.push(['CAP_PROP_FRAME_WIDTH', spec.width]);
      if (spec.height) props.push(['CAP_PROP_FRAME_HEIGHT', spec.height]);
      if (spec.fps) props.push(['CAP_PROP_FPS', spec.fps]);
      return { plan: { ...base, props, open: { type: 'capture', target: dev.index, api: 'CAP_V4L2' } }, env: {} };
    }
    case 'libcamera':
    case 'jetson':
    case 'gstreamer':
      return gst(gstreamerPipelineOf(spec) ?? '');
    case 'stream': {
      if (spec.backend === 'gstreamer') return gst(gstreamerPipelineOf(spec) ?? '');
      const options = ffmpegCaptureOptions(spec);
      return {
        plan: { ...base, open: { type: 'capture', target: spec.url, api: 'CAP_FFMPEG' } },
        env: options ? { OPENCV_FFMPEG_CAPTURE_OPTIONS: options } : {},
      };
    }
    case 'file':
      await checkReadableFile(spec.path, 'video file');
      return {
        plan: {
          ...base,
          isFile: true,
          loop: spec.loop ?? false,
          pacing: spec.pacing ?? 'realtime',
          open: { type: 'capture', target: path.resolve(spec.path), api: 'CAP_FFMPEG' },
        },
        env: {},
      };
    case 'images': {
      const files = await listImages(spec.path);
      return {
        plan: {
          ...base,
          isFile: true,
          loop: spec.loop ?? false,
          pacing: spec.pacing ?? 'realtime',
          imagesFps: spec.fps ?? 1,
          open: { type: 'images', files },
        },
        env: {},
      };
    }
  }
}
