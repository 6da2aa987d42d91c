// Topic names of the MQTT contract (v1) and the checks that keep them well-formed. Every topic the
// link publishes is built here; nothing else concatenates topic strings.
import type { CommandResultPayload, ConfigStatePayload, DetectionsPayload, EventPayload, StatsPayload, StatusPayload, TimingPayload } from './schemas';

/** Levels under `base/<camera>/` that carry fixed meanings, so no label or zone may take them. */
export const RESERVED_CAMERA_LEVELS = ['detections', 'timing', 'events', 'snapshot', 'status', 'set', 'detect', 'min_score', 'motion'] as const;
/** Levels directly under `base/` that no camera may take. */
export const RESERVED_BASE_LEVELS = ['availability', 'stats', 'set', 'config'] as const;

const MAX_LEVEL_BYTES = 128;

/**
 * Why `level` cannot be one level of a topic name, or null when it can: non-empty, no `/`, no
 * wildcards `+` `#`, no NUL or control characters, not starting with `$` (broker-internal topics).
 */
export function topicLevelProblem(level: string): string | null {
  if (typeof level !== 'string' || level.length === 0) return 'must be a non-empty string';
  if (level.includes('/')) return "must not contain '/'";
  if (level.includes('+') || level.includes('#')) return "must not contain the MQTT wildcards '+' or '#'";
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(level)) return 'must not contain control characters';
  if (level.startsWith('$')) return "must not start with '$'";
  if (Buffer.byteLength(level) > MAX_LEVEL_BYTES) return `must be at most ${MAX_LEVEL_BYTES} bytes`;
  return null;
}

/** Why `topic` cannot be published to, or null: valid UTF-8 name, no wildcards, no empty levels at the ends. */
export function publishTopicProblem(topic: string): string | null {
  if (typeof topic !== 'string' || topic.length === 0) return 'topic must be a non-empty string';
  if (topic.includes('+') || topic.includes('#')) return `topic '${topic}' contains an MQTT wildcard`;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(topic)) return `topic '${JSON.stringify(topic)}' contains control characters`;
  if (/[\ud800-\udfff]/.test(topic.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    return `topic '${topic}' is not valid UTF-8 (lone surrogate)`;
  }
  if (Buffer.byteLength(topic) > 65535) return 'topic is longer than 65535 bytes';
  if (topic.startsWith('/') || topic.endsWith('/') || topic.includes('//')) {
    return `topic '${topic}' has an empty level`;
  }
  return null;
}

/** Base topic problem (`lookout/<device_id>` by default): one or more valid levels. */
export function baseTopicProblem(base: string): string | null {
  if (typeof base !== 'string' || base.length === 0) return 'base topic must be a non-empty string';
  for (const level of base.split('/')) {
    const p = topicLevelProblem(level);
    if (p) return `base topic '${base}': level '${level}' ${p}`;
  }
  return null;
}

export function cameraNameProblem(camera: string): string | null {
  const p = topicLevelProblem(camera);
  if (p) return `camera name '${camera}' ${p}`;
  if ((RESERVED_BASE_LEVELS as readonly string[]).includes(camera)) {
    return `camera name '${camera}' is reserved (it is a topic of its own under the base topic)`;
  }
  return null;
}

/**
 * Labels become topic levels as lower case with runs of spaces turned into '_' (COCO has
 * "traffic light", "fire hydrant"): `base/front/traffic_light`.
 */
export function labelLevel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/g, '_');
}

function subLevelProblem(kind: 'label' | 'zone', name: string, level: string): string | null {
  const p = topicLevelProblem(level);
  if (p) return `${kind} '${name}' ${p}`;
  if ((RESERVED_CAMERA_LEVELS as readonly string[]).includes(level)) {
    return `${kind} '${name}' is reserved (base/<camera>/${level} is a topic of its own)`;
  }
  return null;
}
export const labelNameProblem = (label: string): string | null => subLevelProblem('label', label, labelLevel(label));
export const zoneNameProblem = (zone: string): string | null => subLevelProblem('zone', zone, zone);

function check(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/** Builds every topic of the contract under one base; throws on a name that would break the tree. */
export class Topics {
  constructor(readonly base: string) {
    check(baseTopicProblem(base));
  }
  availability(): string {
    return `${this.base}/availability`;
  }
  stats(): string {
    return `${this.base}/stats`;
  }
  config(): string {
    return `${this.base}/config`;
  }
  set(camera?: string): string {
    return camera === undefined ? `${this.base}/set` : `${this.camera(camera)}/set`;
  }
  setResult(camera?: string): string {
    return `${this.set(camera)}/result`;
  }
  /** Subscription filter for camera commands: `base/+/set`. */
  cameraSetFilter(): string {
    return `${this.base}/+/set`;
  }
  detections(camera: string): string {
    return `${this.camera(camera)}/detections`;
  }
  timing(camera: string): string {
    return `${this.camera(camera)}/timing`;
  }
  events(camera: string): string {
    return `${this.camera(camera)}/events`;
  }
  snapshot(camera: string): string {
    return `${this.camera(camera)}/snapshot`;
  }
  status(camera: string): string {
    return `${this.camera(camera)}/status`;
  }
  /** `ON` / `OFF`: whether the `detect` command has detection on (Home Assistant's switch state). */
  detect(camera: string): string {
    return `${this.camera(camera)}/detect`;
  }
  /** `ON` / `OFF`: whether something moves in the picture (cameras with motion gating on). */
  motion(camera: string): string {
    return `${this.camera(camera)}/motion`;
  }
  /** The camera's minimum score now (config, or a command since), as text. */
  minScore(camera: string): string {
    return `${this.camera(camera)}/min_score`;
  }
  /** `base/<camera>/<label>`, or `base/<camera>/<zone>/<label>` for the count inside one zone. */
  count(camera: string, label: string, zone?: string): string {
    check(labelNameProblem(label));
    if (zone === undefined) return `${this.camera(camera)}/${labelLevel(label)}`;
    check(zoneNameProblem(zone));
    return `${this.camera(camera)}/${zone}/${labelLevel(label)}`;
  }
  /** Camera name of a `base/<camera>/set` topic; undefined for `base/set`; null when not a set topic. */
  parseSetTopic(topic: string): string | undefined | null {
    if (topic === this.set()) return undefined;
    const prefix = `${this.base}/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/set')) return null;
    const camera = topic.slice(prefix.length, -'/set'.length);
    return camera.length > 0 && !camera.includes('/') ? camera : null;
  }
  private camera(camera: string): string {
    check(cameraNameProblem(camera));
    return `${this.base}/${camera}`;
  }
}

/** Default base topic for a device id (the hostname by default): `lookout/<device_id>`. */
export function defaultBaseTopic(deviceId: string): string {
  return `lookout/${deviceId}`;
}

/**
 * What each kind of topic carries: the MQTT API as a type. The link's publish paths are typed by it,
 * so changing a payload is a compile error where it is built.
 */
export interface TopicPayloads {
  availability: 'online' | 'offline';
  detections: DetectionsPayload;
  timing: TimingPayload;
  events: EventPayload;
  count: number;
  detect: 'ON' | 'OFF';
  motion: 'ON' | 'OFF';
  minScore: number;
  snapshot: Buffer;
  status: StatusPayload;
  stats: StatsPayload;
  setResult: CommandResultPayload;
  config: ConfigStatePayload;
}
export type TopicKind = keyof TopicPayloads;

/** QoS and retain flag of each kind of topic (DESIGN.md, MQTT contract v1). */
export const TOPIC_DELIVERY: Record<TopicKind, { qos: 0 | 1; retain: boolean }> = {
  availability: { qos: 1, retain: true },
  detections: { qos: 0, retain: false },
  timing: { qos: 0, retain: false },
  events: { qos: 1, retain: false },
  count: { qos: 1, retain: true },
  detect: { qos: 1, retain: true },
  motion: { qos: 1, retain: true },
  minScore: { qos: 1, retain: true },
  snapshot: { qos: 0, retain: true },
  status: { qos: 1, retain: true },
  stats: { qos: 0, retain: true },
  setResult: { qos: 1, retain: false },
  config: { qos: 1, retain: true },
};
