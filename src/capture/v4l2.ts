/**
 * V4L2 device naming. OpenCV is given an index with the V4L2 backend, never a path: opencv4nodejs
 * passes a string like '/dev/video0' to the default API, which sends it to GStreamer. A stable link
 * (`/dev/v4l/by-id/...`, `/dev/v4l/by-path/...`) is resolved to its `videoN` node at every (re)open,
 * because a replugged camera can come back under another number.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../util/errors';

export interface ResolvedV4l2 {
  /** The N of /dev/videoN, what OpenCV opens. */
  index: number;
  /** The device node the name points at now, e.g. /dev/video2. */
  node: string;
  /** The path to watch for the camera coming back (the link itself for by-id names). */
  watchPath: string;
}

/** Why a device cannot be opened now; `present: false` when it is simply not there (unplugged). */
export class DeviceUnavailableError extends Error {
  constructor(
    message: string,
    readonly present: boolean,
    readonly watchPath: string,
  ) {
    super(message);
    this.name = 'DeviceUnavailableError';
  }
}

/**
 * Resolves a V4L2 device name to its index and checks it can be opened for reading and writing
 * (V4L2 needs both). Throws DeviceUnavailableError with a reason a user can act on.
 */
export async function resolveV4l2Device(device: string | number): Promise<ResolvedV4l2> {
  const name = typeof device === 'number' || /^\d+$/.test(device) ? `/dev/video${Number(device)}` : device;
  let real: string;
  try {
    real = await fsp.realpath(name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not present (unplugged, or another name?)' : `cannot be resolved (${code ?? errorMessage(e)})`;
    throw new DeviceUnavailableError(`V4L2 device ${name} ${why}`, false, name);
  }
  const m = /^video(\d+)$/.exec(path.basename(real));
  if (!m) {
    throw new DeviceUnavailableError(`${name} points at ${real}, which is not a /dev/videoN node`, true, name);
  }
  try {
    await fsp.access(real, fsConstants.R_OK | fsConstants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' ? " (add the service user to group 'video')" : '';
    throw new DeviceUnavailableError(`no access to ${real}${name !== real ? ` (from ${name})` : ''}: ${code ?? errorMessage(e)}${hint}`, true, name);
  }
  return { index: Number(m[1]), node: real, watchPath: name };
}

/** OpenCV's FOURCC code for a 4-character pixel format such as 'MJPG'. */
export function fourccCode(fourcc: string): number {
  if (!/^[\x20-\x7e]{4}$/.test(fourcc)) throw new Error(`fourcc must be 4 printable characters, got '${fourcc}'`);
  return (fourcc.charCodeAt(0) | (fourcc.charCodeAt(1) << 8) | (fourcc.charCodeAt(2) << 16) | (fourcc.charCodeAt(3) << 24)) >>> 0;
}

/** The 4 characters of a FOURCC code as OpenCV reports it (a double); '' when unknown (0). */
export function fourccString(code: number): string {
  const c = Math.round(code) >>> 0;
  if (c === 0) return '';
  return String.fromCharCode(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff);
}
