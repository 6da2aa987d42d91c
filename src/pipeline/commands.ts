/**
 * What an MQTT command means (docs/mqtt.md, Commands): which cameras it reaches, what is refused and
 * why, and in which order its keys apply. The daemon carries each step out through CommandTargets;
 * this module holds the rules, so they are tested without cameras or a broker.
 */
import type { CommandRequest, CommandResult } from '../mqtt';
import type { OverrideMode, ScheduleState } from '../schedule';

/** Candidates below this never leave the detector (its decode floor), so no command may ask for less. */
export const MIN_SCORE_FLOOR = 0.1;

export interface ReloadAnswer {
  ok: boolean;
  problems: string[];
  restartNeeded: string[];
  changed: boolean;
  hash: string;
}

export interface CommandTargets {
  /** Cameras running now, by name. */
  cameras(): string[];
  /** Why a camera is not running, for the answer (disabled, unknown, model failed to load). */
  whyNotRunning(camera: string): string;
  reload(): Promise<ReloadAnswer>;
  setScores(
    camera: string,
    minScore: number | undefined,
    minScores: Record<string, number> | undefined,
  ): { min_score: number | undefined; min_scores: Record<string, number> | undefined };
  setDetect(camera: string, on: boolean): void;
  /** null: the camera has no schedule. */
  overrideSchedule(camera: string, mode: OverrideMode): ScheduleState | null;
  /** null: no frame yet; `refused`: snapshots are off for it; otherwise whether a JPEG went out on MQTT. */
  snapshotNow(camera: string): Promise<boolean | null | { refused: string }> | boolean | null | { refused: string };
}

function floorProblem(request: CommandRequest): string | null {
  const { command } = request;
  const asked: [string, number | undefined][] = [
    ['min_score', command.min_score],
    ...Object.entries(command.min_scores ?? {}).map(([label, v]): [string, number] => [`min_scores.${label}`, v]),
  ];
  for (const [key, value] of asked) {
    if (value !== undefined && value < MIN_SCORE_FLOOR) return `${key} ${value} is below ${MIN_SCORE_FLOOR}, the lowest score the detector passes on`;
  }
  return null;
}

/** Applies one command: reload first (so score changes land on the new config), then per camera. */
export async function applyCommand(request: CommandRequest, t: CommandTargets): Promise<CommandResult> {
  const { command } = request;
  const floor = floorProblem(request);
  if (floor) return { ok: false, error: floor };
  const running = t.cameras();
  if (request.camera !== undefined && !running.includes(request.camera)) {
    return { ok: false, error: `camera ${request.camera} is not running (${t.whyNotRunning(request.camera)})` };
  }
  const details: Record<string, unknown> = {};
  if (command.reload) {
    const r = await t.reload();
    if (!r.ok) return { ok: false, error: `config refused: ${r.problems.join('; ')}`, details: { problems: r.problems } };
    details.reload = { changed: r.changed, restart_needed: r.restartNeeded, hash: r.hash };
    // The reload may have taken the camera away: the rest of the command has nothing to act on.
    if (request.camera !== undefined && !t.cameras().includes(request.camera)) {
      return { ok: false, error: `camera ${request.camera} is not running after the reload (${t.whyNotRunning(request.camera)})`, details };
    }
  }
  const one = request.camera !== undefined;
  for (const name of one ? [request.camera!] : t.cameras()) {
    if (command.min_score !== undefined || command.min_scores !== undefined) {
      Object.assign(details, t.setScores(name, command.min_score, command.min_scores));
    }
    if (command.detect !== undefined) {
      t.setDetect(name, command.detect);
      details.detect = command.detect;
    }
    if (command.schedule_override !== undefined) {
      const state = t.overrideSchedule(name, command.schedule_override);
      if (state) details.schedule = state;
      else if (one) return { ok: false, error: `camera ${name} has no schedule to override` };
    }
    if (command.snapshot) {
      const sent = await t.snapshotNow(name);
      if (sent === null) {
        if (one) return { ok: false, error: `camera ${name} has no frame yet` };
      } else if (typeof sent === 'object') {
        if (one) return { ok: false, error: `camera ${name}: ${sent.refused}` };
      } else {
        details.snapshot = sent;
      }
    }
  }
  return { ok: true, details };
}
