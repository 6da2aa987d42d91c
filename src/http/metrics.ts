import os from 'node:os';
import { resolveOrtBinding } from '../detect/execution-providers';
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one daemon, named the way Prometheus asks (docs.prometheus.io "Metric and
 * label naming"): counters end in `_total`, times are seconds, and Node's standard process_* and
 * nodejs_* metrics carry no prefix, so the dashboards written for them find them. Each daemon has
 * its own registry, so tests and reloads never collide.
 */

/** Stage timings of one processed frame, in milliseconds (the timing topic's fields). */
export interface StageTimes {
  capture_ms: number;
  wait_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  postprocess_ms: number;
  publish_ms: number;
  total_ms: number;
  age_ms: number;
}

/** MQTT drop counters as MqttLink counts them (since the link started). */
export interface MqttDropCounts {
  dropped_offline_qos0: number;
  dropped_backpressure_qos0: number;
  dropped_queue_overflow: number;
  dropped_expired: number;
}

/** The host figures the stats tick reads anyway. */
export interface HostFigures {
  cpu_temp_c: number | null;
  throttled: { under_voltage_now: boolean; freq_capped_now: boolean; throttled_now: boolean; soft_temp_limit_now: boolean } | null;
}

export interface BuildInfo {
  version: string;
  onnxruntime?: string;
}

/** The onnxruntime-node the detector loads (also a user's build named by LOOKOUT_ONNXRUNTIME_NODE). */
function installedOrtVersion(): string {
  try {
    return resolveOrtBinding().version;
  } catch {
    return 'unknown';
  }
}

const STAGES: (keyof StageTimes)[] = ['capture_ms', 'wait_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'publish_ms', 'total_ms', 'age_ms'];
const DROP_REASONS: Record<keyof MqttDropCounts, string> = {
  dropped_offline_qos0: 'offline_qos0',
  dropped_backpressure_qos0: 'backpressure_qos0',
  dropped_queue_overflow: 'queue_overflow',
  dropped_expired: 'expired',
};
const THROTTLE_FLAGS = ['under_voltage_now', 'freq_capped_now', 'throttled_now', 'soft_temp_limit_now'] as const;

/**
 * Turns a running count (which restarts at 0 when its source restarts, e.g. a camera's capture) into
 * increments of a Prometheus counter, which must never go down.
 */
export class RunningCount {
  private last = new Map<string, number>();

  /** The amount to add for `key` now that its running count reads `value`. */
  delta(key: string, value: number): number {
    const before = this.last.get(key) ?? 0;
    this.last.set(key, value);
    return value >= before ? value - before : value;
  }
}

export class LookoutMetrics {
  readonly registry = new Registry();
  private readonly frames: Counter<'camera'>;
  private readonly dropped: Counter<'camera'>;
  private readonly droppedCounts = new RunningCount();
  private readonly stage: Histogram<'camera' | 'stage'>;
  private readonly events: Counter<'camera' | 'type' | 'label'>;
  private readonly detections: Counter<'camera' | 'label'>;
  private readonly cameraUp: Gauge<'camera'>;
  private readonly mqttConnected: Gauge;
  private readonly mqttDropped: Counter<'reason'>;
  private readonly mqttDropCounts = new RunningCount();
  private readonly cpuTemp: Gauge;
  private readonly throttled: Gauge<'flag'>;

  constructor(build: BuildInfo = { version: 'unknown' }) {
    // prom-client samples event-loop delay every 10 ms by default: 100 wake-ups a second, about
    // 0.3 s of CPU a minute, which was a third of a motion-gated still camera's daemon (issue 17).
    // Every 100 ms still catches any stall worth seeing on a dashboard.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    const registers = [this.registry];
    const info = new Gauge({
      name: 'lookout_build_info',
      help: 'Always 1; the labels say which Lookout, Node.js and ONNX Runtime run, on which CPU architecture',
      labelNames: ['version', 'node', 'onnxruntime', 'arch'],
      registers,
    });
    info.set({ version: build.version, node: process.versions.node, onnxruntime: build.onnxruntime ?? installedOrtVersion(), arch: os.arch() }, 1);
    this.frames = new Counter({ name: 'lookout_frames_processed_total', help: 'Frames run through the detector', labelNames: ['camera'], registers });
    this.dropped = new Counter({
      name: 'lookout_frames_dropped_total',
      help: 'Frames the camera delivered that were replaced by a newer one before the detector took them',
      labelNames: ['camera'],
      registers,
    });
    this.stage = new Histogram({
      name: 'lookout_stage_seconds',
      help: 'Per-frame time spent in each stage',
      labelNames: ['camera', 'stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.events = new Counter({
      name: 'lookout_events_total',
      help: 'Track events published (type start, update, end)',
      labelNames: ['camera', 'type', 'label'],
      registers,
    });
    this.detections = new Counter({
      name: 'lookout_detections_total',
      help: 'Detections published, after filters and zones',
      labelNames: ['camera', 'label'],
      registers,
    });
    this.cameraUp = new Gauge({ name: 'lookout_camera_streaming', help: '1 while the camera delivers frames', labelNames: ['camera'], registers });
    this.mqttConnected = new Gauge({ name: 'lookout_mqtt_connected', help: '1 while connected to the broker', registers });
    this.mqttDropped = new Counter({
      name: 'lookout_mqtt_dropped_messages_total',
      help: 'Messages never delivered to the broker, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.cpuTemp = new Gauge({ name: 'lookout_cpu_temperature_celsius', help: 'CPU temperature (absent on machines without thermal sensors)', registers });
    this.throttled = new Gauge({
      name: 'lookout_throttled',
      help: '1 while the Raspberry Pi firmware reports the flag now (absent off a Pi)',
      labelNames: ['flag'],
      registers,
    });
  }

  frame(camera: string, times: StageTimes, droppedSoFar: number): void {
    this.frames.inc({ camera });
    this.dropped.inc({ camera }, this.droppedCounts.delta(camera, droppedSoFar));
    for (const s of STAGES) this.stage.observe({ camera, stage: s.replace(/_ms$/, '') }, times[s] / 1000);
  }

  /** The labels of the detections published for one frame. */
  detected(camera: string, labels: readonly string[]): void {
    for (const label of labels) this.detections.inc({ camera, label });
  }

  event(camera: string, type: string, label: string): void {
    this.events.inc({ camera, type, label });
  }

  cameraStreaming(camera: string, up: boolean): void {
    this.cameraUp.set({ camera }, up ? 1 : 0);
  }

  mqtt(connected: boolean, drops?: MqttDropCounts): void {
    this.mqttConnected.set(connected ? 1 : 0);
    if (!drops) return;
    for (const [key, reason] of Object.entries(DROP_REASONS) as [keyof MqttDropCounts, string][]) {
      this.mqttDropped.inc({ reason }, this.mqttDropCounts.delta(reason, drops[key]));
    }
  }

  host(figures: HostFigures): void {
    if (figures.cpu_temp_c !== null) this.cpuTemp.set(figures.cpu_temp_c);
    if (figures.throttled) for (const flag of THROTTLE_FLAGS) this.throttled.set({ flag: flag.replace(/_now$/, '') }, figures.throttled[flag] ? 1 : 0);
  }
}
