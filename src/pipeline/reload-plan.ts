/**
 * What a reload changes, decided before anything is touched: which sections need a restart, which
 * cameras go, come, restart (source or model changed) or take new settings live, and which retained
 * counts stop existing. Pure, so the rules are tested without cameras; the daemon carries the plan out.
 */
import type { LookoutConfig } from '../config';
import { cameraSettings, type CameraSettings } from './camera-settings';

/** Sections a running daemon cannot change: they keep their running values until a restart. */
export const RESTART_SECTIONS = ['device', 'mqtt', 'http', 'homeassistant', 'state_dir'] as const;

export interface CameraUpdate {
  before: CameraSettings;
  after: CameraSettings;
  /** Retained counts that no longer exist (a label no longer tracked, a zone removed). */
  forgetCounts: { label: string; zone?: string }[];
}

export interface ReloadPlan {
  /** Changed sections that apply only after a restart. */
  restartNeeded: string[];
  /** The config to run: the new one, with the restart-only sections kept as they run now. */
  config: LookoutConfig;
  /** The detector section changed: every session is rebuilt (threads, EPs, NMS...). */
  reloadModels: boolean;
  /** Adaptive load's thresholds changed: its controller is rebuilt with them (its caps start over). */
  adaptiveChanged: boolean;
  remove: string[];
  /** Source, transform or model changed: only this camera's capture and loop restart. */
  restart: CameraSettings[];
  add: CameraSettings[];
  update: CameraUpdate[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function enabledCameraSettings(c: LookoutConfig): CameraSettings[] {
  return c.cameras.filter((cam) => cam.enabled !== false).map((cam) => cameraSettings(cam, c));
}

export function removedCounts(before: CameraSettings, after: CameraSettings): { label: string; zone?: string }[] {
  const labelsAfter = new Set(after.trackedLabels);
  const zonesAfter = new Set(after.zones.map((z) => z.name));
  const gone: { label: string; zone?: string }[] = [];
  for (const label of before.trackedLabels) {
    const labelGone = !labelsAfter.has(label);
    if (labelGone) gone.push({ label });
    for (const zone of before.zones) if (labelGone || !zonesAfter.has(zone.name)) gone.push({ label, zone: zone.name });
  }
  return gone;
}

/** `running`: settings of the cameras running now, by name. */
export function planReload(prev: LookoutConfig, next: LookoutConfig, running: ReadonlyMap<string, CameraSettings>): ReloadPlan {
  const restartNeeded = RESTART_SECTIONS.filter((k) => !same(prev[k], next[k])).map(String);
  const config: LookoutConfig = { ...next };
  for (const k of RESTART_SECTIONS) (config as unknown as Record<string, unknown>)[k] = prev[k];
  const reloadModels = !same(prev.detector, config.detector);
  const wanted = enabledCameraSettings(config);
  const wantedNames = new Set(wanted.map((s) => s.name));
  const adaptiveChanged = !same(prev.adaptive, config.adaptive);
  const plan: ReloadPlan = { restartNeeded, config, reloadModels, adaptiveChanged, remove: [], restart: [], add: [], update: [] };
  for (const name of running.keys()) if (!wantedNames.has(name)) plan.remove.push(name);
  for (const after of wanted) {
    const before = running.get(after.name);
    if (!before) plan.add.push(after);
    else if (reloadModels || before.captureKey !== after.captureKey || before.model !== after.model) plan.restart.push(after);
    else plan.update.push({ before, after, forgetCounts: removedCounts(before, after) });
  }
  return plan;
}
