/**
 * The files a command was given: folders expanded into their images and videos, unreadable inputs
 * reported with the exit status they mean. `lookout detect` and `lookout model compare` take inputs alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../util/errors';

/** sysexits: what a bad input ends a command with. */
export const INPUT_EXIT = { DATA: 65, NO_INPUT: 66 } as const;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.ppm', '.pgm', '.pbm', '.jp2']);
const VIDEO_EXT = new Set(['.avi', '.mp4', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.h264', '.ts', '.mjpeg']);

/** True for the file types read frame by frame (by extension). */
export function isVideoFile(file: string): boolean {
  return VIDEO_EXT.has(path.extname(file).toLowerCase());
}

/** An input that cannot be used, with the exit status it means. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Expands folders into their image and video files (sorted); plain files pass through as given. */
export function expandInputs(inputs: string[]): { files: string[]; problems: InputError[] } {
  const files: string[] = [];
  const problems: InputError[] = [];
  for (const input of inputs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(input);
    } catch (e) {
      problems.push(new InputError(`${input}: cannot read: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, INPUT_EXIT.NO_INPUT));
      continue;
    }
    if (st.isDirectory()) {
      const inDir = fs
        .readdirSync(input)
        .filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase()) || VIDEO_EXT.has(path.extname(n).toLowerCase()))
        .sort()
        .map((n) => path.join(input, n));
      if (inDir.length === 0) problems.push(new InputError(`${input}: folder holds no image or video files`, INPUT_EXIT.NO_INPUT));
      files.push(...inDir);
    } else {
      files.push(input);
    }
  }
  return { files, problems };
}
