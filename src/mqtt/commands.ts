// Validation of commands that arrive on base/set and base/<camera>/set. Pure: the link calls it and
// publishes the answer; the daemon only ever sees commands that passed.
import { errorMessage } from '../util/errors';
import { schemaProblems, type Command } from './schemas';

export const MAX_COMMAND_BYTES = 16 * 1024;

export interface CommandRequest {
  /** Undefined for base/set (all cameras / the whole daemon). */
  camera?: string;
  command: Command;
  /** The request's "id", echoed in the answer. */
  id?: string;
}

export type ParsedCommand = { ok: true; request: CommandRequest } | { ok: false; error: string; id?: string };

export interface IncomingCommand {
  camera: string | undefined;
  payload: Buffer;
  retained: boolean;
}

function idOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 128) return id;
  }
  return undefined;
}

export function parseCommand(input: IncomingCommand, knownCameras: ReadonlySet<string>): ParsedCommand {
  const { camera, payload } = input;
  if (payload.length > MAX_COMMAND_BYTES) {
    return { ok: false, error: `command too large: ${payload.length} bytes (at most ${MAX_COMMAND_BYTES})` };
  }
  if (payload.length === 0) return { ok: false, error: 'empty command' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return { ok: false, error: `command is not JSON: ${errorMessage(e)}` };
  }
  const id = idOf(value);
  const answer = (error: string): ParsedCommand => (id === undefined ? { ok: false, error } : { ok: false, error, id });
  if (input.retained) {
    // A stale retained "detect: false" would switch the camera off at every restart.
    return answer('retained command not obeyed: publish commands without the retain flag (and clear the retained one with an empty retained message)');
  }
  if (camera !== undefined && !knownCameras.has(camera)) {
    return answer(`unknown camera '${camera}' (known: ${[...knownCameras].join(', ') || 'none'})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return answer('command must be a JSON object');
  }
  const problems = schemaProblems('command', value);
  if (problems) return answer(`invalid command: ${problems}`);
  const { id: _id, ...command } = value as Command & { id?: string };
  if (Object.keys(command).length === 0) return answer('no command given (e.g. {"detect": false})');
  const request: CommandRequest = { command };
  if (camera !== undefined) request.camera = camera;
  if (id !== undefined) request.id = id;
  return { ok: true, request };
}
