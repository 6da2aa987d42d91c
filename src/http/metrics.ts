import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

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

const STAGES: (keyof StageTimes)[] = ['capture_ms', 'wait_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'publish_ms', 'total_ms', 'age_ms'];

/** Prometheus metrics of one daemon: its own registry, so tests and reloads never collide. */
export class LookoutMetrics {
  readonly registry = new Registry();
  private readonly frames: Counter<'camera'>;
  private readonly dropped: Gauge<'camera'>;
  private readonly stage: Histogram<'camera' | 'stage'>;
  private readonly events: Counter<'camera' | 'type' | 'label'>;
  private readonly cameraUp: Gauge<'camera'>;
  private readonly mqttConnected: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lookout_' });
    this.frames = new Counter({ name: 'lookout_frames_processed_total', help: 'Frames run through the detector', labelNames: ['camera'], registers: [this.registry] });
    this.dropped = new Gauge({ name: 'lookout_frames_dropped', help: 'Frames replaced before the detector took them (since start)', labelNames: ['camera'], registers: [this.registry] });
    this.stage = new Histogram({
      name: 'lookout_stage_seconds',
      help: 'Per-frame time spent in each stage',
      labelNames: ['camera', 'stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.events = new Counter({ name: 'lookout_events_total', help: 'Track events published', labelNames: ['camera', 'type', 'label'], registers: [this.registry] });
    this.cameraUp = new Gauge({ name: 'lookout_camera_streaming', help: '1 while the camera delivers frames', labelNames: ['camera'], registers: [this.registry] });
    this.mqttConnected = new Gauge({ name: 'lookout_mqtt_connected', help: '1 while connected to the broker', registers: [this.registry] });
  }

  frame(camera: string, times: StageTimes, droppedSoFar: number): void {
    this.frames.inc({ camera });
    this.dropped.set({ camera }, droppedSoFar);
    for (const s of STAGES) this.stage.observe({ camera, stage: s.replace(/_ms$/, '') }, times[s] / 1000);
  }

  event(camera: string, type: string, label: string): void {
    this.events.inc({ camera, type, label });
  }

  cameraStreaming(camera: string, up: boolean): void {
    this.cameraUp.set({ camera }, up ? 1 : 0);
  }

  mqtt(connected: boolean): void {
    this.mqttConnected.set(connected ? 1 : 0);
  }
}
