/**
 * What a camera is: the typed source description the daemon builds from config, its validation, a
 * parser for the short strings users type (`--source /dev/video0`, `vtest.avi`, `rtsp://...`), and a
 * description for logs that never shows a password.
 */
import * as fs from 'node:fs';
import { gstPipelineProblems } from './gst-syntax';

/** A USB/V4L2 camera. Opened by index with OpenCV's V4L2 backend (see v4l2.ts for why). */
export interface V4l2Source {
  kind: 'v4l2';
  /**
   * `/dev/videoN`, the index N, or a stable link such as `/dev/v4l/by-id/usb-...-video-index0` or
   * `/dev/v4l/by-path/...`, resolved to its index at every (re)open so a replugged camera that
   * comes back under another number is found again.
   */
  device: string | number;
  /** Requested frame width in pixels; the driver may pick the nearest mode (logged when it differs). */
  width?: number;
  /** Requested frame height in pixels. */
  height?: number;
  /** Requested frames per second. */
  fps?: number;
  /** Four-character pixel format, e.g. `MJPG` (needed for high resolutions on USB 2) or `YUYV`. */
  fourcc?: string;
}

/** Raspberry Pi CSI camera through libcamera's GStreamer source. */
export interface LibcameraSource {
  kind: 'libcamera';
  width: number;
  height: number;
  fps: number;
  /** libcamerasrc `camera-name`, to pick one of several cameras; default: the first one. */
  cameraName?: string;
}

/** NVIDIA Jetson CSI camera through nvarguscamerasrc. */
export interface JetsonSource {
  kind: 'jetson';
  width: number;
  height: number;
  fps: number;
  /** nvarguscamerasrc `sensor-id` (default 0). */
  sensorId?: number;
  /** nvvidconv `flip-method` 0..7 (rotation in the ISP, cheaper than our transform on big frames). */
  flipMethod?: number;
}

/** Any GStreamer pipeline; it must end in an `appsink` that yields BGR frames. */
export interface GstreamerSource {
  kind: 'gstreamer';
  pipeline: string;
}

/** A network stream: RTSP, HTTP(S) MJPEG, RTMP... */
export interface StreamSource {
  kind: 'stream';
  url: string;
  /** RTSP transport (default tcp: survives NAT and lossy Wi-Fi better than udp). RTSP only. */
  transport?: 'tcp' | 'udp';
  /**
   * Jitter-buffer latency in ms. FFmpeg: 0 → `fflags;nobuffer`, otherwise `max_delay`.
   * GStreamer: rtspsrc `latency` (its default is 2000).
   */
  latencyMs?: number;
  /**
   * `ffmpeg` (default): OpenCV's FFmpeg backend, options via OPENCV_FFMPEG_CAPTURE_OPTIONS (each
   * camera is its own process, so that process-wide variable is per camera). `gstreamer`: an
   * `rtspsrc ! decodebin` pipeline, for RTSP only.
   */
  backend?: 'ffmpeg' | 'gstreamer';
}

/** A video file, read with OpenCV's FFmpeg backend. */
export interface FileSource {
  kind: 'file';
  path: string;
  /** Start again at the end (default false: the camera goes to state `ended`). */
  loop?: boolean;
  /** `realtime` (default): frames come at the file's frame rate, like a camera. `fast`: as fast as decoded. */
  pacing?: 'realtime' | 'fast';
}

/** A folder of still images (or one image), taken in file-name order. */
export interface ImagesSource {
  kind: 'images';
  /** A directory (its .jpg/.jpeg/.png/.bmp/.webp/.tif/.tiff files, sorted by name) or a single image file. */
  path: string;
  loop?: boolean;
  /** `realtime` (default) at `fps`, or `fast`. */
  pacing?: 'realtime' | 'fast';
  /** Images per second in realtime pacing; also sets each frame's positionMs (default 1). */
  fps?: number;
}

export type SourceSpec = V4l2Source | LibcameraSource | JetsonSource | GstreamerSource | StreamSource | FileSource | ImagesSource;

export type SourceKind = SourceSpec['kind'];

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff'];

const STREAM_SCHEMES = /^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt):\/\//i;

export interface ParseSourceOptions {
  /** Tells whether a path is a directory (default: a synchronous stat; parsing happens at config time). */
  isDirectory?: (p: string) => boolean;
}

function statIsDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function hasImageExtension(p: string): boolean {
  const lower = p.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Turns what a user types into a source. Recognised:
 * `0`, `/dev/video0`, `/dev/v4l/by-id/...` → v4l2; `rtsp://`, `http://`... → stream;
 * `libcamera` → Pi CSI 1280×720@30; `jetson` or `jetson:<sensor-id>` → Jetson CSI 1280×720@30;
 * `gst:<pipeline>` or any text with ` ! ` → GStreamer; a directory or an image file → images;
 * anything else → video file.
 */
export function parseSourceString(text: string, options: ParseSourceOptions = {}): SourceSpec {
  const s = text.trim();
  if (s === '') throw new Error('empty source: give a device, file, folder, URL or GStreamer pipeline');
  if (/^\d+$/.test(s)) return { kind: 'v4l2', device: Number(s) };
  if (/^\/dev\/video\d+$/.test(s) || s.startsWith('/dev/v4l/')) return { kind: 'v4l2', device: s };
  if (STREAM_SCHEMES.test(s)) return { kind: 'stream', url: s };
  if (s === 'libcamera') return { kind: 'libcamera', width: 1280, height: 720, fps: 30 };
  const jetson = /^jetson(?::(\d+))?$/.exec(s);
  if (jetson) return { kind: 'jetson', width: 1280, height: 720, fps: 30, sensorId: Number(jetson[1] ?? 0) };
  if (s.startsWith('gst:')) return { kind: 'gstreamer', pipeline: s.slice(4).trim() };
  if (/\s!\s/.test(s)) return { kind: 'gstreamer', pipeline: s };
  const isDirectory = options.isDirectory ?? statIsDirectory;
  if (s.endsWith('/') || isDirectory(s) || hasImageExtension(s)) return { kind: 'images', path: s };
  return { kind: 'file', path: s };
}

const positiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
const positiveNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Every problem with a source spec, as `<path>: <reason>` lines; empty when valid. */
export function validateSourceSpec(spec: SourceSpec, at = 'source'): string[] {
  const errors: string[] = [];
  const need = (ok: boolean, key: string, reason: string): void => {
    if (!ok) errors.push(`${at}.${key}: ${reason}`);
  };
  const optional = (v: unknown, check: (v: unknown) => boolean, key: string, reason: string): void => {
    if (v !== undefined) need(check(v), key, reason);
  };
  if (spec === null || typeof spec !== 'object') return [`${at}: must be an object with a 'kind'`];
  switch (spec.kind) {
    case 'v4l2': {
      const d = spec.device;
      need(
        (typeof d === 'number' && Number.isInteger(d) && d >= 0) ||
          (typeof d === 'string' && (/^\/dev\/video\d+$/.test(d) || d.startsWith('/') || /^\d+$/.test(d))),
        'device',
        'must be /dev/videoN, an index, or an absolute path such as /dev/v4l/by-id/...',
      );
      optional(spec.width, positiveInt, 'width', 'must be a positive integer');
      optional(spec.height, positiveInt, 'height', 'must be a positive integer');
      optional(spec.fps, positiveNumber, 'fps', 'must be a positive number');
      optional(spec.fourcc, (v) => typeof v === 'string' && /^[\x20-\x7e]{4}$/.test(v), 'fourcc', 'must be 4 characters, e.g. MJPG');
      if ((spec.width === undefined) !== (spec.height === undefined)) {
        errors.push(`${at}: width and height go together (set both or neither)`);
      }
      break;
    }
    case 'libcamera':
    case 'jetson':
      need(positiveInt(spec.width), 'width', 'must be a positive integer');
      need(positiveInt(spec.height), 'height', 'must be a positive integer');
      need(positiveNumber(spec.fps), 'fps', 'must be a positive number');
      if (spec.kind === 'jetson') {
        optional(spec.sensorId, (v) => Number.isInteger(v) && (v as number) >= 0, 'sensorId', 'must be an integer ≥ 0');
        optional(spec.flipMethod, (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 7, 'flipMethod', 'must be 0..7');
      } else {
        optional(spec.cameraName, (v) => typeof v === 'string' && v.length > 0 && !v.includes('"'), 'cameraName', 'must be a non-empty string without quotes');
      }
      break;
    case 'gstreamer': {
      if (typeof spec.pipeline !== 'string' || spec.pipeline.trim() === '') {
        errors.push(`${at}.pipeline: must be a non-empty GStreamer pipeline`);
        break;
      }
      for (const p of gstPipelineProblems(spec.pipeline)) errors.push(`${at}.pipeline: ${p}`);
      break;
    }
    case 'stream': {
      need(typeof spec.url === 'string' && STREAM_SCHEMES.test(spec.url), 'url', 'must be a URL such as rtsp://host/path or http://host/video.mjpg');
      optional(spec.transport, (v) => v === 'tcp' || v === 'udp', 'transport', "must be 'tcp' or 'udp'");
      optional(spec.latencyMs, (v) => Number.isInteger(v) && (v as number) >= 0, 'latencyMs', 'must be an integer ≥ 0');
      optional(spec.backend, (v) => v === 'ffmpeg' || v === 'gstreamer', 'backend', "must be 'ffmpeg' or 'gstreamer'");
      const isRtsp = typeof spec.url === 'string' && /^rtsps?:\/\//i.test(spec.url);
      if (spec.transport !== undefined && !isRtsp) errors.push(`${at}.transport: only applies to rtsp:// URLs`);
      if (spec.backend === 'gstreamer' && !isRtsp)
        errors.push(`${at}.backend: 'gstreamer' is only built for rtsp:// URLs; write a 'gstreamer' source for others`);
      break;
    }
    case 'file':
      need(typeof spec.path === 'string' && spec.path !== '', 'path', 'must be a file path');
      optional(spec.loop, (v) => typeof v === 'boolean', 'loop', 'must be true or false');
      optional(spec.pacing, (v) => v === 'realtime' || v === 'fast', 'pacing', "must be 'realtime' or 'fast'");
      break;
    case 'images':
      need(typeof spec.path === 'string' && spec.path !== '', 'path', 'must be a folder or image path');
      optional(spec.loop, (v) => typeof v === 'boolean', 'loop', 'must be true or false');
      optional(spec.pacing, (v) => v === 'realtime' || v === 'fast', 'pacing', "must be 'realtime' or 'fast'");
      optional(spec.fps, positiveNumber, 'fps', 'must be a positive number');
      break;
    default:
      errors.push(`${at}.kind: unknown '${String((spec as { kind?: unknown }).kind)}' (use v4l2, libcamera, jetson, gstreamer, stream, file or images)`);
  }
  return errors;
}

/** Replaces the password in `scheme://user:pass@host` so a URL can be logged and published. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/:@\s"]*):[^@/\s"]*@/gi, '$1:***@');
}

/** A one-line, password-free description for logs and the status topic. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'v4l2': {
      const mode = [spec.width && spec.height ? `${spec.width}x${spec.height}` : '', spec.fps ? `@${spec.fps}` : '', spec.fourcc ? ` ${spec.fourcc}` : ''].join(
        '',
      );
      return `v4l2 ${typeof spec.device === 'number' ? `index ${spec.device}` : spec.device}${mode ? ` ${mode}` : ''}`;
    }
    case 'libcamera':
      return `libcamera CSI ${spec.width}x${spec.height}@${spec.fps}`;
    case 'jetson':
      return `jetson CSI sensor ${spec.sensorId ?? 0} ${spec.width}x${spec.height}@${spec.fps}`;
    case 'gstreamer':
      return `gstreamer '${redactUrl(spec.pipeline)}'`;
    case 'stream':
      return `stream ${redactUrl(spec.url)}`;
    case 'file':
      return `file ${spec.path}${spec.loop ? ' (loop)' : ''}`;
    case 'images':
      return `images ${spec.path}${spec.loop ? ' (loop)' : ''}`;
  }
}
