/**
 * Zones name where an object is (its bottom-centre, where it touches the ground); they do not filter,
 * except `required_zones`, which keeps only detections inside one of them.
 */
import { anchorPoint, pointInPolygon } from '../detect/filters';
import type { Detection } from '../detect';
import type { ZoneSetting } from './camera-settings';

export function assignZones(detections: readonly Detection[], zones: readonly ZoneSetting[], requiredZones: readonly string[]): Detection[] {
  if (zones.length === 0) return requiredZones.length > 0 ? [] : detections.slice();
  const out: Detection[] = [];
  for (const d of detections) {
    const anchor = anchorPoint(d.box, 'bottom-centre');
    const inZones = zones.filter((z) => (!z.labels || z.labels.has(d.label)) && pointInPolygon(anchor, z.points)).map((z) => z.name);
    if (requiredZones.length > 0 && !inZones.some((z) => requiredZones.includes(z))) continue;
    out.push({ ...d, zones: inZones });
  }
  return out;
}
