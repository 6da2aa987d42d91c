/**
 * Names that differ only in case or in `-` against `_` are different MQTT topics but one Home
 * Assistant id (discovery ids are lower case, and HA's entity ids turn `-` into `_`): the second
 * camera's entities silently replaced the first's. Such names are refused, both named.
 */
import type { LookoutConfig } from './schema';
import { labelLevel } from '../mqtt/topics';

/** The form under which two names would meet in topics or Home Assistant ids. */
export function collisionKey(name: string): string {
  return labelLevel(name).replace(/-/g, '_');
}

function clashes(entries: { name: string; where: string }[], what: string): string[] {
  const seen = new Map<string, { name: string; where: string }>();
  const problems: string[] = [];
  for (const e of entries) {
    const key = collisionKey(e.name);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, e);
    } else {
      problems.push(
        `${e.where}: ${what} '${e.name}' collides with ${first.where} '${first.name}' (names that differ only in case or '-'/'_' share Home Assistant ids)`,
      );
    }
  }
  return problems;
}

/** Camera names, zone names per camera and tracked labels per list that would collide. */
export function collisionProblems(c: LookoutConfig): string[] {
  const problems = clashes(
    c.cameras.map((cam, i) => ({ name: cam.name, where: `cameras[${i}].name` })),
    'camera name',
  );
  // A label listed twice is harmless (and duplicate camera or zone names are refused elsewhere).
  const distinct = (list: { name: string; where: string }[]) => list.filter((e, i) => list.findIndex((x) => x.name === e.name) === i);
  problems.push(...clashes(distinct(c.objects.track.map((l, i) => ({ name: l, where: `objects.track[${i}]` }))), 'label'));
  c.cameras.forEach((cam, i) => {
    problems.push(...clashes(distinct((cam.zones ?? []).map((z, j) => ({ name: z.name, where: `cameras[${i}].zones[${j}].name` }))), 'zone name'));
    problems.push(...clashes(distinct((cam.objects?.track ?? []).map((l, j) => ({ name: l, where: `cameras[${i}].objects.track[${j}]` }))), 'label'));
  });
  return problems;
}
