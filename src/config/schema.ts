import os from 'node:os';
import type convict from 'convict';
import type { CameraConfig } from './camera-schema';

/**
 * The whole configuration of Lookout. Every key has a doc string, a default and a format; the
 * documented example file (config/lookout.example.yaml) mirrors it. `cameras` elements are checked by
 * the JSON Schema in camera-schema.ts. Secrets (`sensitive`) are redacted by `config print`.
 */
export interface LookoutConfig {
  device: { id: string; name: string };
  log: { level: string; format: string };
  state_dir: string;
  mqtt: {
    url: string;
    base_topic: string;
    protocol_version: number;
    client_id: string;
    username: string;
    password: string;
    password_file: string;
    keepalive_s: number;
    session_expiry_s: number;
    reconnect: { initial_ms: number; max_ms: number };
    queue: { max_messages: number; max_age_s: number };
    tls: {
      ca: string;
      cert: string;
      key: string;
      key_passphrase: string;
      key_passphrase_file: string;
      reject_unauthorized: boolean;
    };
    embedded: { mode: string; host: string; port: number };
  };
  homeassistant: { discovery: boolean; prefix: string; status_topic: string };
  detector: {
    model: string;
    models_dir: string;
    execution_providers: string[];
    threads: number;
    inter_op_threads: number;
    spinning: boolean;
    graph_optimization: string;
    nms: { iou_threshold: number; class_agnostic: boolean; max_detections: number };
  };
  objects: {
    track: string[];
    deny: string[];
    min_score: number;
    min_scores: Record<string, number>;
    min_area: number;
    max_area: number;
  };
  capture: {
    read_timeout_ms: number;
    open_timeout_ms: number;
    reconnect_initial_ms: number;
    reconnect_max_ms: number;
    max_fps: number;
  };
  tracker: {
    iou_threshold: number;
    min_hits: number;
    max_missed: number;
    update_interval_s: number;
    match_across_labels: boolean;
  };
  snapshots: {
    enabled: boolean;
    annotate: boolean;
    quality: number;
    publish: boolean;
    max_files: number;
    max_age_days: number;
    max_mb: number;
  };
  schedule: { timezone: string; latitude: number | null; longitude: number | null };
  adaptive: {
    enabled: boolean;
    min_fps: number;
    temp_high_c: number;
    temp_ok_c: number;
    thermal_glob: string;
    throttled_path: string;
    interval_s: number;
  };
  stats: { interval_s: number };
  http: {
    enabled: boolean;
    host: string;
    port: number;
    ui: { enabled: boolean; fps: number; quality: number };
    auth: { secret_file: string };
  };
  cameras: CameraConfig[];
}

const unitInterval = (value: unknown) => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error('must be a number within [0, 1]');
};

const stringList = (value: unknown) => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new Error('must be a list of non-empty strings');
  }
};

const scoreMap = (value: unknown) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be a map of label: score');
  for (const [label, score] of Object.entries(value as Record<string, unknown>)) {
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      throw new Error(`'${label}' must be a number within [0, 1]`);
    }
  }
};

const positive = (value: unknown) => {
  if (typeof value !== 'number' || !(value > 0)) throw new Error('must be a number greater than 0');
};

// The tracker refuses 0 for these: 'nat' let it through config check and the camera then failed at start.
const positiveInt = (value: unknown) => {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error('must be an integer of at least 1');
};

const nullableNumber = (min: number, max: number) => (value: unknown) => {
  if (value === null) return;
  if (typeof value !== 'number' || !(value >= min && value <= max)) throw new Error(`must be null or a number within [${min}, ${max}]`);
};

export const DEFAULT_TRACKED = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck', 'cat', 'dog', 'bird'];

export const configSchema: convict.Schema<LookoutConfig> = {
  device: {
    id: {
      doc: 'Device id used in topics and Home Assistant ids (letters, digits, _ and -). Default: the hostname.',
      format: (v: unknown) => {
        if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw new Error('must be 1-64 letters, digits, _ or - (it becomes an MQTT topic level)');
      },
      default:
        os
          .hostname()
          .replace(/[^A-Za-z0-9_-]/g, '_')
          .slice(0, 64) || 'lookout',
      env: 'LOOKOUT_DEVICE_ID',
    },
    name: { doc: 'Device name in Home Assistant. Empty: "Lookout <device id>", so two devices never share a name.', format: String, default: '' },
  },
  log: {
    level: {
      doc: 'Log level.',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'LOOKOUT_LOG_LEVEL',
    },
    format: {
      doc: 'Log format: auto (pretty on a terminal, one readable line per entry with syslog priorities under systemd, JSON lines otherwise), json (JSON lines, also under systemd: for log shippers), pretty.',
      format: ['auto', 'json', 'pretty'],
      default: 'auto',
      env: 'LOOKOUT_LOG_FORMAT',
    },
  },
  state_dir: {
    doc: 'Directory for state (snapshots). Default: $STATE_DIRECTORY (systemd) or ./state.',
    format: String,
    default: '',
    env: 'LOOKOUT_STATE_DIR',
  },
  mqtt: {
    url: {
      doc: 'Broker URL: mqtt://, mqtts://, ws://, wss://. Empty: a broker on localhost:1883, else the embedded one (see mqtt.embedded.mode).',
      format: (v: unknown) => {
        if (typeof v !== 'string' || (v !== '' && !/^(mqtt|mqtts|ws|wss|tcp|ssl):\/\/[^\s]+$/.test(v))) {
          throw new Error('must be empty or a URL starting with mqtt://, mqtts://, ws:// or wss://');
        }
      },
      default: '',
      env: 'LOOKOUT_MQTT_URL',
    },
    base_topic: {
      doc: 'Topic prefix. Default: lookout/<device.id>.',
      format: (v: unknown) => {
        if (typeof v !== 'string' || /[+#]/.test(v) || v.includes('\u0000') || v.startsWith('/') || v.endsWith('/')) {
          throw new Error('must be a topic without wildcards (+, #) and without leading or trailing /');
        }
      },
      default: '',
      env: 'LOOKOUT_MQTT_BASE_TOPIC',
    },
    protocol_version: { doc: 'MQTT protocol version: 4 (3.1.1) or 5.', format: [4, 5], default: 5, env: 'LOOKOUT_MQTT_PROTOCOL_VERSION' },
    client_id: {
      doc: 'Client id. Default: lookout-<device.id>. Two clients with one id knock each other off.',
      format: String,
      default: '',
      env: 'LOOKOUT_MQTT_CLIENT_ID',
    },
    username: { doc: 'Username.', format: String, default: '', env: 'LOOKOUT_MQTT_USERNAME' },
    password: {
      doc: 'Password. Prefer password_file, $CREDENTIALS_DIRECTORY/mqtt_password (systemd LoadCredential) or LOOKOUT_MQTT_PASSWORD.',
      format: String,
      default: '',
      sensitive: true,
      env: 'LOOKOUT_MQTT_PASSWORD',
    },
    password_file: { doc: 'File that holds the password (trailing newline ignored).', format: String, default: '', env: 'LOOKOUT_MQTT_PASSWORD_FILE' },
    keepalive_s: { doc: 'Keepalive interval in seconds.', format: 'nat', default: 30 },
    session_expiry_s: {
      doc: 'MQTT 5 session expiry: how long the broker keeps our session (and QoS 1 messages) across a disconnect.',
      format: 'nat',
      default: 3600,
    },
    reconnect: {
      initial_ms: { doc: 'First reconnect delay; doubles up to max_ms, with jitter.', format: 'nat', default: 1000 },
      max_ms: { doc: 'Longest reconnect delay.', format: 'nat', default: 60000 },
    },
    queue: {
      max_messages: { doc: 'QoS 1 messages (events, status) held while the broker is away; past this the oldest go.', format: 'nat', default: 1000 },
      max_age_s: { doc: 'A held QoS 1 message older than this is dropped rather than delivered as news.', format: 'nat', default: 3600 },
    },
    tls: {
      ca: { doc: 'CA certificate file (PEM) to verify the broker.', format: String, default: '' },
      cert: { doc: 'Client certificate file (PEM).', format: String, default: '' },
      key: { doc: 'Client key file (PEM).', format: String, default: '' },
      key_passphrase: {
        doc: 'Client key passphrase. Prefer key_passphrase_file or LOOKOUT_MQTT_TLS_KEY_PASSPHRASE.',
        format: String,
        default: '',
        sensitive: true,
        env: 'LOOKOUT_MQTT_TLS_KEY_PASSPHRASE',
      },
      key_passphrase_file: { doc: 'File that holds the client key passphrase.', format: String, default: '' },
      reject_unauthorized: { doc: 'Verify the broker certificate. Turning this off is logged as a warning at every connect.', format: Boolean, default: true },
    },
    embedded: {
      mode: {
        doc: 'Embedded MQTT broker: auto (only when mqtt.url is empty and nothing answers on localhost:1883), on, off.',
        format: ['auto', 'on', 'off'],
        default: 'auto',
        env: 'LOOKOUT_MQTT_EMBEDDED',
      },
      host: { doc: 'Address the embedded broker listens on.', format: String, default: '127.0.0.1' },
      port: { doc: 'Port of the embedded broker.', format: 'port', default: 1883 },
    },
  },
  homeassistant: {
    discovery: { doc: 'Publish Home Assistant MQTT discovery.', format: Boolean, default: true, env: 'LOOKOUT_HA_DISCOVERY' },
    prefix: { doc: 'Home Assistant discovery prefix.', format: String, default: 'homeassistant' },
    status_topic: { doc: 'Topic where Home Assistant announces online (discovery is republished then).', format: String, default: 'homeassistant/status' },
  },
  detector: {
    model: {
      doc: 'Default model: a name in detector.models_dir (with a manifest <name>.json), a path to an .onnx file with a manifest beside it, or auto: ssdlite_mobilenet_v2_coco_int8 where it is built and the CPU has fast int8 kernels (aarch64, x86_64 with VNNI), else ssdlite_mobilenet_v2_coco; the log says which and why at start.',
      format: String,
      default: 'ssdlite_mobilenet_v2_coco',
      env: 'LOOKOUT_MODEL',
    },
    models_dir: { doc: 'Where models and manifests live. Default: the models/ folder of the installation.', format: String, default: '' },
    execution_providers: {
      doc: 'ONNX Runtime execution providers in order of preference ([auto] = the best available of tensorrt, cuda, cpu); unavailable ones are skipped with a log line (a warning when listed by name).',
      format: stringList,
      default: ['auto'],
    },
    threads: {
      doc: 'Intra-op (inference) threads; 0 = all cores but one (capture and publishing need one).',
      format: 'nat',
      default: 0,
      env: 'LOOKOUT_THREADS',
    },
    inter_op_threads: { doc: 'Inter-op threads; 0 = ONNX Runtime default.', format: 'nat', default: 0 },
    spinning: {
      doc: 'Let ONNX Runtime threads spin while waiting (faster, but hotter; turn off on battery or thermally limited boards).',
      format: Boolean,
      default: true,
    },
    graph_optimization: { doc: 'ONNX Runtime graph optimization level.', format: ['disabled', 'basic', 'extended', 'all'], default: 'all' },
    nms: {
      iou_threshold: { doc: 'Non-maximum suppression IoU threshold.', format: unitInterval, default: 0.5 },
      class_agnostic: { doc: 'Suppress overlapping boxes across classes, not only within one.', format: Boolean, default: false },
      max_detections: { doc: 'Most detections kept per frame.', format: 'nat', default: 100 },
    },
  },
  objects: {
    track: { doc: 'Labels that are published, tracked and counted (cameras may override).', format: stringList, default: DEFAULT_TRACKED },
    deny: { doc: 'Labels never published.', format: stringList, default: [] },
    min_score: { doc: 'Minimum score of a published detection (cameras may override).', format: unitInterval, default: 0.5, env: 'LOOKOUT_MIN_SCORE' },
    min_scores: { doc: 'Per-label minimum scores, e.g. {person: 0.6}.', format: scoreMap, default: {} },
    min_area: { doc: 'Smallest box area as a fraction of the frame.', format: unitInterval, default: 0 },
    max_area: { doc: 'Largest box area as a fraction of the frame.', format: unitInterval, default: 1 },
  },
  capture: {
    read_timeout_ms: { doc: 'A frame read that takes longer than this counts as a stall; the source is reopened.', format: 'nat', default: 5000 },
    open_timeout_ms: { doc: 'Time allowed to open a source.', format: 'nat', default: 20000 },
    reconnect_initial_ms: { doc: 'First reopen delay after a failure; doubles up to reconnect_max_ms.', format: 'nat', default: 1000 },
    reconnect_max_ms: { doc: 'Longest reopen delay.', format: 'nat', default: 30000 },
    max_fps: { doc: 'Default detection FPS cap per camera.', format: positive, default: 5 },
  },
  tracker: {
    iou_threshold: { doc: 'IoU needed to match a detection to a track.', format: unitInterval, default: 0.3 },
    min_hits: { doc: 'Frames a track must be seen before its start event.', format: positiveInt, default: 3 },
    max_missed: { doc: 'Frames without a match before a track ends.', format: positiveInt, default: 10 },
    update_interval_s: { doc: 'Least time between update events of one track (a zone change updates at once).', format: positive, default: 5 },
    match_across_labels: { doc: 'Allow a track to continue under another label.', format: Boolean, default: false },
  },
  snapshots: {
    enabled: { doc: 'Keep a JPEG of the best frame of each event.', format: Boolean, default: true },
    annotate: { doc: 'Draw boxes and labels on snapshots.', format: Boolean, default: true },
    quality: {
      doc: 'JPEG quality.',
      format: (v: unknown) => {
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100) throw new Error('must be an integer within [1, 100]');
      },
      default: 80,
    },
    publish: { doc: 'Publish snapshots on <base>/<camera>/snapshot.', format: Boolean, default: true },
    max_files: { doc: 'Most snapshot files kept; the oldest go.', format: 'nat', default: 500 },
    max_age_days: { doc: 'Snapshots older than this are removed.', format: positive, default: 7 },
    max_mb: { doc: 'Most megabytes of snapshots kept.', format: positive, default: 200 },
  },
  schedule: {
    timezone: { doc: 'IANA time zone for schedules; empty = the system zone.', format: String, default: '' },
    latitude: { doc: 'Latitude for sunrise/sunset schedules.', format: nullableNumber(-90, 90), default: null, nullable: true },
    longitude: { doc: 'Longitude for sunrise/sunset schedules.', format: nullableNumber(-180, 180), default: null, nullable: true },
  },
  adaptive: {
    enabled: { doc: 'Lower detection FPS when the board throttles or inference cannot keep up; raise it again after.', format: Boolean, default: true },
    min_fps: { doc: 'Lowest detection FPS adaptive load goes to.', format: positive, default: 0.5 },
    temp_high_c: { doc: 'CPU temperature at which FPS is lowered.', format: positive, default: 80 },
    temp_ok_c: { doc: 'CPU temperature under which FPS may rise again.', format: positive, default: 70 },
    thermal_glob: { doc: 'Thermal zone directory (Linux sysfs).', format: String, default: '/sys/class/thermal' },
    throttled_path: { doc: 'Raspberry Pi firmware throttled flags file.', format: String, default: '/sys/devices/platform/soc/soc:firmware/get_throttled' },
    interval_s: {
      doc: "Seconds between adaptive load checks: each check under pressure lowers a camera's cap one step, three calm checks in a row raise it one step.",
      format: positive,
      default: 5,
    },
  },
  stats: {
    interval_s: { doc: 'Seconds between stats messages.', format: positive, default: 30 },
  },
  http: {
    enabled: { doc: 'Serve Prometheus /metrics, /healthz and the page (http.ui).', format: Boolean, default: true },
    host: {
      doc: 'Address the HTTP server listens on: localhost only by default; any other address needs http.auth.secret_file (or the systemd credential http_secret).',
      format: String,
      default: '127.0.0.1',
    },
    port: { doc: 'Port of the HTTP server.', format: 'port', default: 9464, env: 'LOOKOUT_HTTP_PORT' },
    ui: {
      enabled: { doc: 'Serve the page at / : live picture with boxes, zones and masks, timing, events, tuning (docs/ui.md).', format: Boolean, default: true },
      fps: { doc: 'Most live pictures per second sent to the page per camera; JPEGs are encoded only while someone watches.', format: positive, default: 2 },
      quality: {
        doc: 'JPEG quality of the live picture.',
        format: (v: unknown) => {
          if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100) throw new Error('must be an integer within [1, 100]');
        },
        default: 70,
      },
    },
    auth: {
      secret_file: {
        doc: 'File holding the secret (token or password) the page and API ask for; required when http.host is not a loopback address. Default: $CREDENTIALS_DIRECTORY/http_secret (systemd LoadCredential) when present. Never in this file.',
        format: String,
        default: '',
        env: 'LOOKOUT_HTTP_SECRET_FILE',
      },
    },
  },
  cameras: {
    doc: 'Cameras: a list of {name, source, ...}; see config/lookout.example.yaml.',
    format: Array,
    default: [],
  },
};
