// JSON Schemas of every MQTT payload (contract v1). These literals are the source of truth: the
// TypeScript payload types are derived from them (FromSchema), src/mqtt/schemas/*.schema.json are
// written from them (test/unit/mqtt/schemas.test.ts fails when a file is out of date and rewrites it
// with UPDATE_SCHEMAS=1), and the exported validators check what the daemon really emits.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FromSchema } from './from-schema';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

const cameraName = { type: 'string', minLength: 1, maxLength: 64 } as const;
const labelName = { type: 'string', minLength: 1, maxLength: 64 } as const;
const score = { type: 'number', minimum: 0, maximum: 1 } as const;
/** [xmin, ymin, xmax, ymax], normalized to the full frame. */
const box = {
  type: 'array',
  items: { type: 'number', minimum: 0, maximum: 1 },
  minItems: 4,
  maxItems: 4,
  description: '[xmin, ymin, xmax, ymax] normalized to the full frame',
} as const;
const epochMs = { type: 'integer', minimum: 0, description: 'milliseconds since the Unix epoch' } as const;
const ms = { type: 'number', minimum: 0 } as const;
const zoneList = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } } as const;
const version = { const: 1, description: 'payload contract version' } as const;

export const detectionsSchema = {
  $schema: DRAFT,
  title: 'lookout detections (base/<camera>/detections), one message per processed frame',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'camera', 'frame', 'ts', 'width', 'height', 'model', 'detections'],
  properties: {
    v: version,
    camera: cameraName,
    frame: { type: 'integer', minimum: 0 },
    ts: epochMs,
    width: { type: 'integer', minimum: 1 },
    height: { type: 'integer', minimum: 1 },
    model: { type: 'string', minLength: 1 },
    detections: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'class_id', 'score', 'box'],
        properties: {
          label: labelName,
          class_id: { type: 'integer', minimum: 0 },
          score,
          box,
          track_id: { type: 'integer', minimum: 0 },
          zones: zoneList,
        },
      },
    },
  },
} as const;

export const timingSchema = {
  $schema: DRAFT,
  title: 'lookout per-frame stage timing (base/<camera>/timing)',
  type: 'object',
  additionalProperties: false,
  required: [
    'v',
    'camera',
    'frame',
    'ts',
    'capture_ms',
    'wait_ms',
    'preprocess_ms',
    'inference_ms',
    'postprocess_ms',
    'publish_ms',
    'total_ms',
    'age_ms',
    'fps',
    'dropped',
  ],
  properties: {
    v: version,
    camera: cameraName,
    frame: { type: 'integer', minimum: 0 },
    ts: epochMs,
    capture_ms: ms,
    wait_ms: ms,
    preprocess_ms: ms,
    inference_ms: ms,
    postprocess_ms: ms,
    publish_ms: ms,
    total_ms: ms,
    age_ms: ms,
    fps: { type: 'number', minimum: 0 },
    dropped: { type: 'integer', minimum: 0, description: 'frames dropped since the previous processed frame' },
    skipped: {
      enum: ['no-motion'],
      description: 'the frame was not detected, and why: nothing moved, no track was alive and max_idle_s had not passed (stage times are 0)',
    },
    motion: {
      type: 'object',
      additionalProperties: false,
      required: ['moving', 'area', 'regions'],
      description: 'motion in this frame against the ones before (cameras with motion gating on)',
      properties: {
        moving: { type: 'boolean' },
        area: { type: 'number', minimum: 0, maximum: 1, description: 'fraction of the frame covered by the moving regions' },
        regions: { type: 'array', items: box, maxItems: 8, description: 'the largest moving regions, largest first' },
      },
    },
  },
} as const;

export const eventSchema = {
  $schema: DRAFT,
  title: 'lookout object event (base/<camera>/events), QoS 1: drop repeats by seq',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'seq', 'event_id', 'type', 'camera', 'track_id', 'label', 'score', 'box', 'zones', 'started_at', 'updated_at', 'frames'],
  properties: {
    v: version,
    seq: { type: 'integer', minimum: 1, description: 'per-process monotonic; a repeat (QoS 1) has the same seq' },
    event_id: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: "the tracked object's id, the same on its start, updates and end and never reused by this device: <device_id>:<boot id>:<camera>:<track_id>",
    },
    type: { enum: ['start', 'update', 'end'] },
    camera: cameraName,
    track_id: { type: 'integer', minimum: 0 },
    label: labelName,
    class_id: { type: 'integer', minimum: 0, description: 'class id of the label in the model' },
    score: { ...score, description: 'best score of the track so far' },
    box: { ...box, description: 'latest box [xmin, ymin, xmax, ymax], normalized' },
    zones: { ...zoneList, description: 'zones the object is in now' },
    entered_zones: { ...zoneList, description: 'zones entered since the previous event of this track' },
    left_zones: { ...zoneList, description: 'zones left since the previous event of this track' },
    started_at: epochMs,
    updated_at: epochMs,
    ended_at: epochMs,
    frames: { type: 'integer', minimum: 1, description: 'frames the track has been seen in' },
    snapshot: { type: 'boolean', description: 'a JPEG of this event was published on base/<camera>/snapshot' },
  },
} as const;

export const cameraStates = ['starting', 'streaming', 'reconnecting', 'error', 'disabled', 'paused', 'stopped'] as const;

export const statusSchema = {
  $schema: DRAFT,
  title: 'lookout camera status (base/<camera>/status), retained',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'state', 'reason', 'since'],
  properties: {
    v: version,
    state: { enum: cameraStates },
    reason: { type: ['string', 'null'], maxLength: 1024 },
    since: epochMs,
  },
} as const;

const cameraStatsSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['fps', 'detect_fps', 'inference_p50_ms', 'inference_p95_ms', 'dropped', 'status'],
  properties: {
    fps: { type: 'number', minimum: 0, description: 'frames captured per second' },
    detect_fps: { type: 'number', minimum: 0, description: 'frames processed per second' },
    inference_p50_ms: { type: ['number', 'null'], minimum: 0 },
    inference_p95_ms: { type: ['number', 'null'], minimum: 0 },
    dropped: { type: 'integer', minimum: 0, description: 'frames dropped since start' },
    status: { enum: cameraStates },
  },
} as const;

export const statsSchema = {
  $schema: DRAFT,
  title: 'lookout stats (base/stats), retained, every interval; extensible',
  type: 'object',
  additionalProperties: true,
  required: ['v', 'ts', 'uptime_s', 'cameras', 'ep', 'cpu_temp_c', 'load', 'rss_mb'],
  properties: {
    v: version,
    ts: epochMs,
    uptime_s: { type: 'number', minimum: 0 },
    cameras: { type: 'object', additionalProperties: cameraStatsSchema },
    ep: { type: 'string', description: 'ONNX Runtime execution provider in use' },
    cpu_temp_c: { type: ['number', 'null'] },
    load: { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 3, maxItems: 3 },
    rss_mb: { type: 'number', minimum: 0 },
    throttled: { type: 'boolean' },
    mqtt: { type: 'object', additionalProperties: true, description: 'MQTT link counters' },
  },
} as const;

export const configStateSchema = {
  $schema: DRAFT,
  title: 'lookout applied configuration (base/config), retained; updated at start and on every reload attempt',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'ok', 'hash', 'applied_at', 'file', 'problems', 'restart_needed'],
  properties: {
    v: version,
    ok: { type: 'boolean', description: 'false: the last reload was refused and the config named by hash keeps running' },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'sha256 of the running config, secrets redacted' },
    applied_at: { ...epochMs, description: 'when the running config was applied' },
    file: { type: ['string', 'null'], description: 'config file, null for embedded defaults' },
    problems: { type: 'array', items: { type: 'string' }, description: 'why the last reload was refused, as key.path: reason' },
    restart_needed: { type: 'array', items: { type: 'string' }, description: 'changed sections that apply only after a restart' },
    attempted_at: { ...epochMs, description: 'when the last reload was attempted' },
  },
} as const;

export const commandSchema = {
  $schema: DRAFT,
  title: 'lookout command (base/set, base/<camera>/set); at most 16 KiB of JSON',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 128, description: 'echoed in the result' },
    detect: { type: 'boolean', description: 'enable or disable detection' },
    min_score: { ...score, description: 'minimum score for every label' },
    min_scores: {
      type: 'object',
      additionalProperties: score,
      propertyNames: { minLength: 1, maxLength: 64 },
      description: 'minimum score per label',
    },
    snapshot: { const: true, description: 'publish a snapshot now' },
    reload: { const: true, description: 'reload the config file' },
    schedule_override: { enum: ['on', 'off', 'auto'], description: 'force detection on/off or follow the schedule' },
  },
} as const;

export const commandResultSchema = {
  $schema: DRAFT,
  title: 'lookout command result (.../set/result)',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'ok'],
  properties: {
    v: version,
    ok: { type: 'boolean' },
    id: { type: 'string' },
    camera: cameraName,
    error: { type: 'string', description: 'why the command was refused or failed' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export type DetectionsPayload = FromSchema<typeof detectionsSchema>;
export type Detection = DetectionsPayload['detections'][number];
export type TimingPayload = FromSchema<typeof timingSchema>;
export type EventPayload = FromSchema<typeof eventSchema>;
export type EventType = EventPayload['type'];
export type CameraState = (typeof cameraStates)[number];
export type StatusPayload = FromSchema<typeof statusSchema>;
export type StatsPayload = FromSchema<typeof statsSchema>;
export type CameraStats = StatsPayload['cameras'][string];
export type Command = Omit<FromSchema<typeof commandSchema>, 'id'>;
export type CommandResultPayload = FromSchema<typeof commandResultSchema>;
export type ConfigStatePayload = FromSchema<typeof configStateSchema>;

/** Every schema by the name of its file in src/mqtt/schemas (`<name>.schema.json`). */
export const schemas = {
  detections: detectionsSchema,
  timing: timingSchema,
  event: eventSchema,
  status: statusSchema,
  stats: statsSchema,
  command: commandSchema,
  'command-result': commandResultSchema,
  config: configStateSchema,
} as const;
export type SchemaName = keyof typeof schemas;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

function compile<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

export const validators = {
  detections: compile<DetectionsPayload>(detectionsSchema),
  timing: compile<TimingPayload>(timingSchema),
  event: compile<EventPayload>(eventSchema),
  status: compile<StatusPayload>(statusSchema),
  stats: compile<StatsPayload>(statsSchema),
  command: compile<FromSchema<typeof commandSchema>>(commandSchema),
  'command-result': compile<CommandResultPayload>(commandResultSchema),
  config: compile<ConfigStatePayload>(configStateSchema),
} as const;

/** `instancePath message` for each error, joined; for logs and command answers. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath || '(root)';
      const extra =
        e.keyword === 'additionalProperties'
          ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
          : e.keyword === 'enum'
            ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`
            : '';
      return `${where} ${e.message ?? e.keyword}${extra}`;
    })
    .join('; ');
}

/** null when `payload` is valid for schema `name`, else the reasons. */
export function schemaProblems(name: SchemaName, payload: unknown): string | null {
  const validate = validators[name] as ValidateFunction;
  return validate(payload) ? null : formatSchemaErrors(validate.errors);
}

/** Text payloads (no JSON): availability and per-label counts. */
export function availabilityProblem(text: string): string | null {
  return text === 'online' || text === 'offline' ? null : `availability must be online or offline, got '${text}'`;
}
export function countProblem(text: string): string | null {
  return /^(0|[1-9][0-9]*)$/.test(text) ? null : `count must be a non-negative integer, got '${text}'`;
}
