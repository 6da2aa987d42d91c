/**
 * Every count a camera's config promises (per tracked label, and per zone and label), so each one can
 * be published — zero included — as soon as the camera starts. Counts used to go out only when they
 * changed: a retained `person = 1` left by a crash, an OOM kill or a power cut stayed until someone
 * walked by again.
 */
import type { DiscoveryCamera } from '../mqtt/discovery';
import type { CameraSettings } from './camera-settings';

export interface CountKey {
  label: string;
  zone?: string;
}

export function configuredCounts(s: Pick<CameraSettings, 'trackedLabels' | 'zones'>): CountKey[] {
  const out: CountKey[] = s.trackedLabels.map((label) => ({ label }));
  for (const zone of s.zones) {
    for (const label of s.trackedLabels) {
      if (!zone.labels || zone.labels.has(label)) out.push({ label, zone: zone.name });
    }
  }
  return out;
}

/** Whether the config promises this count now (a frame detected before a reload may still carry old ones). */
export function isConfiguredCount(s: Pick<CameraSettings, 'trackedLabels' | 'zones'>, label: string, zone?: string): boolean {
  if (!s.trackedLabels.includes(label)) return false;
  if (zone === undefined) return true;
  const z = s.zones.find((candidate) => candidate.name === zone);
  return z !== undefined && (!z.labels || z.labels.has(label));
}

/** What Home Assistant is told about a camera: the same labels and zone counts as published. */
export function discoveryCamera(s: Pick<CameraSettings, 'name' | 'trackedLabels' | 'zones' | 'snapshots' | 'motion'>): DiscoveryCamera {
  const keys = configuredCounts(s);
  return {
    name: s.name,
    labels: s.trackedLabels,
    zones: s.zones.map((z) => ({ name: z.name, labels: keys.filter((k) => k.zone === z.name).map((k) => k.label) })),
    snapshot: s.snapshots,
    motion: s.motion !== null,
  };
}
