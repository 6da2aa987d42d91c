import type { JSONSchemaType } from 'ajv';

/**
 * Cameras are a list (several per device, each with its own source and detection settings), which
 * convict cannot describe element by element. Their shape is this JSON Schema, validated with ajv so
 * every problem is reported with its path (`cameras[1].objects.min_score`). The TypeScript types
 * below are tied to the schema by `JSONSchemaType`: a mismatch is a compile error.
 */

export type SourceType = 'v4l2' | 'csi-pi' | 'csi-jetson' | 'gstreamer' | 'url' | 'file' | 'images';

export interface SourceConfig {
  type: SourceType;
  /** v4l2: /dev/videoN, /dev/v4l/by-id/..., /dev/v4l/by-path/... or an index. */
  device?: string | number;
  /** gstreamer: a full pipeline ending in appsink. */
  pipeline?: string;
  /** url: rtsp://, http://, https:// stream. */
  url?: string;
  /** file: a video file; images: a folder of images. */
  path?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** v4l2: four-character code such as MJPG or YUYV. */
  fourcc?: string;
  /** csi-jetson: sensor-id of nvarguscamerasrc. */
  sensor_id?: number;
  /** file/images: start again at the end. */
  loop?: boolean;
  /** file/images: pace frames at the file's frame rate (true) or as fast as possible (false). */
  realtime?: boolean;
  /** url: RTSP transport. */
  rtsp_transport?: 'tcp' | 'udp';
  /** url: jitter-buffer latency in milliseconds. */
  latency_ms?: number;
}

export type Point = [number, number];

export interface ZoneConfig {
  name: string;
  /** Polygon in normalized frame coordinates [[x, y], ...], at least three points. */
  polygon: Point[];
  /** Labels that count in this zone; empty = all tracked labels. */
  objects?: string[];
}

export interface CameraObjectsConfig {
  track?: string[];
  deny?: string[];
  min_score?: number;
  min_scores?: Record<string, number>;
  min_area?: number;
  max_area?: number;
  /** Only detections inside one of these zones are kept. */
  required_zones?: string[];
}

/**
 * One schedule entry: a window from `from` to `to` on `days`, or one that starts whenever `cron`
 * fires and lasts `duration`. src/schedule/parse.ts checks the values and which keys go together.
 */
export interface ScheduleWindowConfig {
  /** Weekdays: [mon, tue], "mon-fri"; default every day. */
  days?: string[] | string;
  from?: string;
  to?: string;
  /** Five-field cron expression in the schedule's time zone, e.g. "0 22 * * 1-5". */
  cron?: string;
  /** How long a cron window lasts: "90m", "8h", "1h30m". */
  duration?: string;
}

export interface TransformConfig {
  rotate?: 0 | 90 | 180 | 270;
  flip?: 'none' | 'horizontal' | 'vertical' | 'both';
  /** Region of interest [xmin, ymin, xmax, ymax], normalized. */
  crop?: [number, number, number, number];
}

/**
 * Motion gating (docs/performance.md): the model runs only when something moves, while a track is
 * alive, and at least every max_idle_s. Defaults in MOTION_DEFAULTS.
 */
export interface MotionConfig {
  /** Default: on, except for a file or folder read with realtime: false (a batch job processes every frame). */
  enabled?: boolean;
  /** Gray levels (1..255) a pixel must differ from the background by to count as changed. */
  threshold?: number;
  /** Smallest moving region that counts, as a fraction of the frame. */
  min_area?: number;
  /** Detection runs at least this often, seconds, even when nothing moves. */
  max_idle_s?: number;
  /** The motion state turns OFF after this long without motion, seconds. */
  off_delay_s?: number;
  /** Polygons (normalized, like zones) where nothing counts as motion. */
  masks?: Point[][];
}

export const MOTION_DEFAULTS = { threshold: 25, min_area: 0.001, max_idle_s: 30, off_delay_s: 5 } as const;

export interface CameraConfig {
  name: string;
  enabled?: boolean;
  source: SourceConfig;
  max_fps?: number;
  model?: string;
  transform?: TransformConfig;
  objects?: CameraObjectsConfig;
  zones?: ZoneConfig[];
  masks?: Point[][];
  schedule?: ScheduleWindowConfig[];
  close_when_inactive?: boolean;
  snapshots?: boolean;
  motion?: MotionConfig;
}

const unit = { type: 'number', minimum: 0, maximum: 1 } as const;
const point: JSONSchemaType<Point> = {
  type: 'array',
  items: [unit, unit],
  minItems: 2,
  maxItems: 2,
};
const polygon: JSONSchemaType<Point[]> = { type: 'array', items: point, minItems: 3 };
const labelList = { type: 'array', items: { type: 'string', minLength: 1 }, nullable: true } as const;
export const TOPIC_LEVEL_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

export const cameraSchema: JSONSchemaType<CameraConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source'],
  properties: {
    name: { type: 'string', pattern: TOPIC_LEVEL_PATTERN },
    enabled: { type: 'boolean', nullable: true },
    source: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { type: 'string', enum: ['v4l2', 'csi-pi', 'csi-jetson', 'gstreamer', 'url', 'file', 'images'] },
        device: { type: ['string', 'integer'], nullable: true } as never,
        pipeline: { type: 'string', minLength: 1, nullable: true },
        url: { type: 'string', pattern: '^(rtsp|rtsps|http|https|rtmp)://', nullable: true },
        path: { type: 'string', minLength: 1, nullable: true },
        width: { type: 'integer', minimum: 16, maximum: 8192, nullable: true },
        height: { type: 'integer', minimum: 16, maximum: 8192, nullable: true },
        fps: { type: 'number', exclusiveMinimum: 0, maximum: 240, nullable: true },
        fourcc: { type: 'string', pattern: '^[A-Za-z0-9 ]{4}$', nullable: true },
        sensor_id: { type: 'integer', minimum: 0, nullable: true },
        loop: { type: 'boolean', nullable: true },
        realtime: { type: 'boolean', nullable: true },
        rtsp_transport: { type: 'string', enum: ['tcp', 'udp'], nullable: true },
        latency_ms: { type: 'integer', minimum: 0, maximum: 60000, nullable: true },
      },
      allOf: [
        { if: { properties: { type: { const: 'v4l2' } } }, then: { required: ['device'] } },
        { if: { properties: { type: { const: 'gstreamer' } } }, then: { required: ['pipeline'] } },
        { if: { properties: { type: { const: 'url' } } }, then: { required: ['url'] } },
        { if: { properties: { type: { enum: ['file', 'images'] } } }, then: { required: ['path'] } },
      ],
    } as never,
    max_fps: { type: 'number', exclusiveMinimum: 0, maximum: 120, nullable: true },
    model: { type: 'string', minLength: 1, nullable: true },
    transform: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      properties: {
        rotate: { type: 'integer', enum: [0, 90, 180, 270], nullable: true },
        flip: { type: 'string', enum: ['none', 'horizontal', 'vertical', 'both'], nullable: true },
        crop: { type: 'array', items: [unit, unit, unit, unit], minItems: 4, maxItems: 4, nullable: true },
      },
    },
    objects: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      properties: {
        track: labelList,
        deny: labelList,
        min_score: { ...unit, nullable: true },
        min_scores: { type: 'object', additionalProperties: unit, required: [], nullable: true },
        min_area: { ...unit, nullable: true },
        max_area: { ...unit, nullable: true },
        required_zones: labelList,
      },
    },
    zones: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'polygon'],
        properties: {
          name: { type: 'string', pattern: TOPIC_LEVEL_PATTERN },
          polygon,
          objects: labelList,
        },
      },
    },
    masks: { type: 'array', items: polygon, nullable: true },
    schedule: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        additionalProperties: false,
        // Which keys go together (from/to, or cron/duration) is parse.ts's check, with messages that say so.
        required: [],
        properties: {
          days: { type: ['array', 'string'], items: { type: 'string' }, nullable: true } as never,
          from: { type: 'string', nullable: true },
          to: { type: 'string', nullable: true },
          cron: { type: 'string', nullable: true },
          duration: { type: 'string', nullable: true },
        },
      },
    },
    close_when_inactive: { type: 'boolean', nullable: true },
    snapshots: { type: 'boolean', nullable: true },
    motion: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      properties: {
        enabled: { type: 'boolean', nullable: true },
        threshold: { type: 'integer', minimum: 1, maximum: 255, nullable: true },
        // Above 0.5 of the frame is a light change, not a thing (capture/motion.ts): never motion.
        min_area: { type: 'number', minimum: 0, maximum: 0.5, nullable: true },
        max_idle_s: { type: 'number', exclusiveMinimum: 0, maximum: 86400, nullable: true },
        off_delay_s: { type: 'number', minimum: 0, maximum: 3600, nullable: true },
        masks: { type: 'array', items: polygon, nullable: true },
      },
    },
  },
};
