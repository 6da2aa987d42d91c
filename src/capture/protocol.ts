/**
 * Everything the daemon and a capture process (capture-child.ts) say to each other, in one place:
 * both sides compile against these types, so a message or header field changed on one side is a
 * compile error on the other.
 *
 * Two channels:
 *   - the IPC channel (JSON): small control messages, ParentMessage down and ChildMessage up;
 *   - fd 4 in the child: frame records, so pixel data is never JSON- or base64-encoded and a frame in
 *     transit never delays a control message. Record: magic 'LKF1' · u32 LE header length · u32 LE
 *     data length · header (UTF-8 JSON, FrameHeader) · data.
 *
 * The daemon asks for one frame at a time ('want'), so at most one frame is ever in flight.
 *
 * Adding to the protocol: a new message kind is a new member of ParentMessage or ChildMessage (and
 * of its KINDS list); the handlers switch over `t` with an exhaustiveness check, so the compiler
 * names every place that must handle it. A new frame fact is an optional field of FrameHeader
 * (JSON, so older readers ignore it); a new binary section goes into `data` with its layout
 * described by header fields, never by position alone. A record that answers something other than
 * 'want' (a frame fetched from a ring by seq, say) carries the request's id in its header, so the
 * daemon can route it past the hand-over (capture-process.ts sees every record first).
 */
import type { InputDtype } from '../detect/manifest';
import type { Detection, InputGeometry } from '../detect/types';
import type { MotionBox, MotionResult } from './motion';
import type { ChildPlan } from './open-plan';

// ---- control messages ----

/** Daemon → capture process. */
export type ParentMessage =
  /** Open the source and start reading, once per process. */
  | { t: 'start'; plan: ChildPlan }
  /**
   * Send one frame newer than the last one sent (the newest, or the next to be read).
   * `onlyIfMoving` (motion gating, plan.motion set): when nothing moved in it, answer with a
   * header-only record (`skipped: 'no-motion'`, no pixel data) instead of the frame.
   */
  | {
      t: 'want';
      onlyIfMoving?: boolean;
      /**
       * Frames (this process's seqs) the daemon may still fetch: kept in the ring past their turn
       * (frame-ring.ts). Absent: the same as the last 'want' said.
       */
      keep?: number[];
    }
  /** Answer with a frame record carrying `reply: id`: frame `seq` from the ring, as a JPEG (FetchRequest). */
  | FetchRequest
  /** Close the source and exit. */
  | { t: 'stop' };

/** A full-resolution frame from the capture process's ring, for a snapshot or the live page. */
export interface FetchRequest {
  t: 'fetch';
  /** Echoed as the answering record's `reply`. */
  id: number;
  seq: number;
  /** JPEG quality, 1..100. */
  quality: number;
  /** Detections to draw on it before encoding (annotated snapshots); none: the plain frame. */
  annotate?: AnnotationBox[];
  /** Regions that moved in it (motion gating), drawn under the detections. */
  motion?: MotionBox[];
}

/** A detection as drawn on a snapshot (the fields annotate() reads). */
export type AnnotationBox = Pick<Detection, 'label' | 'class_id' | 'score' | 'box'>;

/** Sent at a fixed interval (plan.aliveIntervalMs), also while a read is in progress. */
export interface AliveMessage {
  t: 'alive';
  /** Frames read so far by this process. */
  captured: number;
  /** How long the read in progress has been running, ms; -1 when none is. */
  readingMs: number;
}

/** The source is open; what it says about itself (0 or '' where the backend does not know). */
export interface OpenedMessage {
  t: 'opened';
  width?: number;
  height?: number;
  fps?: number;
  fourcc?: string;
  /** Frames in a file. */
  frameCount?: number;
  /** Images in a folder. */
  images?: number;
  /** MJPG frames are read compressed and decoded only as far as motion gating needs (compressed-frame.ts). */
  compressed?: boolean;
}

export interface FirstFrameMessage {
  t: 'first-frame';
  width: number;
  height: number;
}

/** Something the user should know that does not end capture (a refused property, a bad image). */
export interface WarnMessage {
  t: 'warn';
  message: string;
}

/**
 * The last message of a process. `ended`: a file or folder is done. `lost`: the source stopped
 * delivering. `open-failed`: it could not be opened. `fatal`: the process itself failed.
 */
export interface FinalMessage {
  t: 'ended' | 'lost' | 'open-failed' | 'fatal';
  reason: string;
  /** Frames read by this process, when it got as far as reading. */
  captured?: number;
}

/** Capture process → daemon. */
export type ChildMessage = AliveMessage | OpenedMessage | FirstFrameMessage | WarnMessage | FinalMessage;

export type FinalKind = FinalMessage['t'];

export const CHILD_MESSAGE_KINDS: ReadonlySet<ChildMessage['t']> = new Set<ChildMessage['t']>([
  'alive',
  'opened',
  'first-frame',
  'warn',
  'ended',
  'lost',
  'open-failed',
  'fatal',
]);

export const PARENT_MESSAGE_KINDS: ReadonlySet<ParentMessage['t']> = new Set<ParentMessage['t']>(['start', 'want', 'fetch', 'stop']);

/**
 * A message off the IPC channel as a ChildMessage, or undefined for anything else. The channel
 * carries whatever a process sends, so the kind is checked before a handler trusts its fields.
 */
export function asChildMessage(m: unknown): ChildMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const t = (m as { t?: unknown }).t;
  return typeof t === 'string' && CHILD_MESSAGE_KINDS.has(t as ChildMessage['t']) ? (m as ChildMessage) : undefined;
}

/** The same check in the other direction, for the capture process. */
export function asParentMessage(m: unknown): ParentMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const t = (m as { t?: unknown }).t;
  return typeof t === 'string' && PARENT_MESSAGE_KINDS.has(t as ParentMessage['t']) ? (m as ParentMessage) : undefined;
}

/** For the `default` branch of a switch over message kinds: a kind nobody handles is a compile error. */
export function unhandledKind(m: never): never {
  throw new Error(`unhandled capture protocol message ${JSON.stringify(m)}`);
}

// ---- frame records ----

export const FRAME_MAGIC = 0x3146_4b4c; // 'LKF1' read as u32 LE
export const RECORD_PREFIX_BYTES = 12;
/** Larger than any real frame (8K BGR is 100 MB); a bigger length means the stream is corrupt. */
export const MAX_RECORD_DATA_BYTES = 256 * 1024 * 1024;
export const MAX_RECORD_HEADER_BYTES = 64 * 1024;

/** What the capture process says about a frame; pixel data travels beside it. */
export interface FrameHeader {
  /** Frame number within this capture process, from 1. */
  seq: number;
  /** Epoch ms when the read returned (for paced files: when the frame became due). */
  ts: number;
  /** How long the read (grab + decode) took, ms. */
  captureMs: number;
  /** Size of `data` (BGR, 3 bytes a pixel, rows contiguous) after transforms. */
  width: number;
  height: number;
  /** Position in the media for files/images, ms. */
  positionMs?: number;
  /** Pass over a looping file or folder, from 0. */
  loop?: number;
  /** Motion in this frame against the ones before (plan.motion set). */
  motion?: MotionResult;
  /** The frame was not sent, only its header: `data` is empty (a 'want' with onlyIfMoving and no motion). */
  skipped?: 'no-motion';
  /**
   * `data` is the model's input made from this frame (plan.modelInput), not the frame: the frame
   * itself stays in the ring until fetched (FetchRequest). Size: product(dims) × 1 (uint8) or 4 (float32).
   */
  input?: ModelInputHeader;
  /** The answer to FetchRequest `reply`: `data` is the JPEG, or empty with `missing` saying why. */
  reply?: number;
  /** Why a fetched frame could not be sent (no longer in the ring, encoding failed). */
  missing?: string;
}

/** How the model input in a record's data is laid out. */
export interface ModelInputHeader {
  dims: number[];
  dtype: InputDtype;
  /** Where the frame lies inside the input (letterbox). */
  geometry: InputGeometry;
  /** Resize, colour conversion and layout in the capture process, ms. */
  preprocessMs: number;
}

/** Bytes of a model input as the header describes it. */
function modelInputBytes(input: ModelInputHeader): number {
  return input.dims.reduce((a, b) => a * b, 1) * (input.dtype === 'float32' ? 4 : 1);
}

export interface FrameRecord {
  header: FrameHeader;
  data: Buffer;
}

/** A record as the buffers to write, in order (the pixel data is not copied). */
export function encodeFrameRecord(header: FrameHeader, data: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(RECORD_PREFIX_BYTES);
  prefix.writeUInt32LE(FRAME_MAGIC, 0);
  prefix.writeUInt32LE(json.length, 4);
  prefix.writeUInt32LE(data.length, 8);
  return [prefix, json, data];
}

/** Why a record cannot be a frame of its stated size, or undefined when it can. */
export function frameRecordProblem(r: FrameRecord): string | undefined {
  const h = r.header;
  if (!(Number.isInteger(h.seq) && h.seq > 0)) return `frame record with seq ${String(h.seq)}`;
  if (h.skipped !== undefined) return r.data.length === 0 ? undefined : `frame ${h.seq} is skipped (${h.skipped}) but carries ${r.data.length} bytes`;
  if (h.reply !== undefined) return Number.isInteger(h.reply) ? undefined : `fetch answer for frame ${h.seq} with reply ${String(h.reply)}`;
  if (!(Number.isInteger(h.width) && h.width > 0 && Number.isInteger(h.height) && h.height > 0)) {
    return `frame ${h.seq} has size ${String(h.width)}x${String(h.height)}`;
  }
  if (h.input) {
    const want = modelInputBytes(h.input);
    return r.data.length === want
      ? undefined
      : `frame ${h.seq} carries ${r.data.length} bytes of model input for dims ${h.input.dims.join('x')} ${h.input.dtype} (${want})`;
  }
  if (r.data.length !== h.width * h.height * 3) return `frame ${h.seq} has ${r.data.length} bytes for ${h.width}x${h.height} BGR`;
  return undefined;
}
