import type { HostSnapshot, ThrottledFlags } from './host-stats';

/**
 * Adaptive load: lowers each camera's detection FPS when the board is hot, under-volted or
 * throttled, or when inference cannot keep up, and raises it again when things are calm. Pure logic
 * driven by update() once per stats tick; the daemon applies the caps and publishes the reasons.
 *
 * Hysteresis keeps it from flapping: thermal pressure starts at tempHighC and ends only at tempOkC
 * (between them the caps hold), saturation starts at busyHighRatio and ends at busyLowRatio, and a
 * raise happens only after raiseAfterTicks calm ticks in a row.
 */

export interface AdaptiveLoadOptions {
  /** Lowest detection FPS a camera is ever capped to. Default 1. */
  minFps?: number;
  /** Highest FPS cap; a camera's own target FPS may be lower. Default 30. */
  maxFps?: number;
  /** At or above this CPU temperature (°C) the caps go down. Default 80 (Pi firmware throttles at 80–85). */
  tempHighC?: number;
  /** At or below this temperature thermal pressure ends and caps may rise again. Default 70. */
  tempOkC?: number;
  /** Fraction of the current cap removed per tick under pressure, and added per raise. Default 0.2. */
  step?: number;
  /** Inference busy ratio (0..1) at or above which a camera counts as saturated. Default 0.9. */
  busyHighRatio?: number;
  /** Busy ratio at or below which saturation ends. Default 0.7. */
  busyLowRatio?: number;
  /** Calm ticks in a row before a cap is raised one step. Default 3. */
  raiseAfterTicks?: number;
}

export interface CameraLoad {
  /** The FPS the camera is configured to detect at. */
  target_fps: number;
  /** What it really achieved over the last interval. */
  achieved_fps: number;
  /** Share of the interval the inference worker spent busy for it (0..1). */
  inference_busy_ratio: number;
}

export interface LoadSample {
  temp_c: number | null;
  throttled: ThrottledFlags | null;
  cameras: Record<string, CameraLoad>;
}

export type LoadPressure = 'thermal' | 'under-voltage' | 'throttled' | 'inference' | 'none';

export interface CameraCap {
  /** The detection FPS the camera should not exceed now. */
  fps_cap: number;
  /** True when this tick changed the cap. */
  changed: boolean;
  pressure: LoadPressure;
  /** Human-readable why, e.g. "thermal: 82.1°C ≥ 80", "inference saturated: busy 97% ≥ 90%", "recovered". */
  reason: string;
}

export interface AdaptiveLoadDecision {
  /** Board-wide pressure this tick (inference pressure is per camera). */
  board_pressure: Exclude<LoadPressure, 'inference'>;
  board_reason: string;
  cameras: Record<string, CameraCap>;
}

interface CameraState {
  cap: number;
  calmTicks: number;
  saturated: boolean;
}

export class AdaptiveLoadController {
  private readonly o: Required<AdaptiveLoadOptions>;
  private readonly cameras = new Map<string, CameraState>();
  private hot = false;

  constructor(options: AdaptiveLoadOptions = {}) {
    this.o = {
      minFps: options.minFps ?? 1,
      maxFps: options.maxFps ?? 30,
      tempHighC: options.tempHighC ?? 80,
      tempOkC: options.tempOkC ?? 70,
      step: options.step ?? 0.2,
      busyHighRatio: options.busyHighRatio ?? 0.9,
      busyLowRatio: options.busyLowRatio ?? 0.7,
      raiseAfterTicks: options.raiseAfterTicks ?? 3,
    };
    const o = this.o;
    const problems: string[] = [];
    if (!(o.minFps > 0)) problems.push(`minFps must be > 0 (got ${o.minFps})`);
    if (!(o.maxFps >= o.minFps)) problems.push(`maxFps (${o.maxFps}) must be ≥ minFps (${o.minFps})`);
    if (!(o.tempOkC < o.tempHighC)) problems.push(`tempOkC (${o.tempOkC}) must be below tempHighC (${o.tempHighC})`);
    if (!(o.step > 0 && o.step < 1)) problems.push(`step must be between 0 and 1 (got ${o.step})`);
    if (!(o.busyLowRatio < o.busyHighRatio)) problems.push(`busyLowRatio (${o.busyLowRatio}) must be below busyHighRatio (${o.busyHighRatio})`);
    if (!(Number.isInteger(o.raiseAfterTicks) && o.raiseAfterTicks >= 1)) problems.push(`raiseAfterTicks must be an integer ≥ 1 (got ${o.raiseAfterTicks})`);
    if (problems.length) throw new Error(`adaptive load options invalid: ${problems.join('; ')}`);
  }

  /** The current cap of a camera, undefined before its first update. */
  capOf(camera: string): number | undefined {
    return this.cameras.get(camera)?.cap;
  }

  /** One tick: sample in, caps and reasons out. Cameras missing from the sample are forgotten. */
  update(sample: LoadSample): AdaptiveLoadDecision {
    const board = this.boardPressure(sample);
    const out: Record<string, CameraCap> = {};
    for (const name of [...this.cameras.keys()]) if (!(name in sample.cameras)) this.cameras.delete(name);
    for (const [name, load] of Object.entries(sample.cameras)) {
      out[name] = this.updateCamera(name, load, board);
    }
    return { board_pressure: board.pressure, board_reason: board.reason, cameras: out };
  }

  private boardPressure(sample: LoadSample): { pressure: AdaptiveLoadDecision['board_pressure']; reason: string; hold: boolean } {
    const { tempHighC, tempOkC } = this.o;
    const t = sample.temp_c;
    if (t !== null && t >= tempHighC) this.hot = true;
    else if (t === null || t <= tempOkC) this.hot = false;
    const f = sample.throttled;
    if (f?.under_voltage_now) return { pressure: 'under-voltage', reason: 'under-voltage', hold: false };
    if (t !== null && t >= tempHighC) return { pressure: 'thermal', reason: `thermal: ${t.toFixed(1)}°C ≥ ${tempHighC}`, hold: false };
    if (f && (f.throttled_now || f.freq_capped_now || f.soft_temp_limit_now)) {
      const what = [f.throttled_now && 'throttled', f.freq_capped_now && 'frequency capped', f.soft_temp_limit_now && 'soft temperature limit']
        .filter(Boolean)
        .join(', ');
      return { pressure: 'throttled', reason: `firmware: ${what}`, hold: false };
    }
    if (this.hot && t !== null) {
      return { pressure: 'none', reason: `cooling: ${t.toFixed(1)}°C, waiting for ≤ ${tempOkC}`, hold: true };
    }
    return { pressure: 'none', reason: 'ok', hold: false };
  }

  private updateCamera(name: string, load: CameraLoad, board: { pressure: AdaptiveLoadDecision['board_pressure']; reason: string; hold: boolean }): CameraCap {
    const { minFps, maxFps, step, busyHighRatio, busyLowRatio, raiseAfterTicks } = this.o;
    const ceiling = Math.max(minFps, Math.min(maxFps, load.target_fps > 0 ? load.target_fps : maxFps));
    let state = this.cameras.get(name);
    if (!state) {
      state = { cap: ceiling, calmTicks: 0, saturated: false };
      this.cameras.set(name, state);
    }
    const previous = state.cap;
    // A lowered target (live reload) pulls the cap down at once.
    const before = Math.min(state.cap, ceiling);
    const busy = Number.isFinite(load.inference_busy_ratio) ? load.inference_busy_ratio : 0;
    if (busy >= busyHighRatio) state.saturated = true;
    else if (busy <= busyLowRatio) state.saturated = false;

    const lower = (): number => Math.max(minFps, roundFps(before * (1 - step)));
    let cap = before;
    let pressure: LoadPressure = board.pressure;
    let reason: string;
    if (board.pressure !== 'none') {
      state.calmTicks = 0;
      cap = lower();
      reason = board.reason;
    } else if (busy >= busyHighRatio) {
      state.calmTicks = 0;
      cap = lower();
      pressure = 'inference';
      reason = `inference saturated: busy ${pct(busy)} ≥ ${pct(busyHighRatio)}`;
    } else if (board.hold || state.saturated) {
      state.calmTicks = 0;
      reason = board.hold ? board.reason : `holding: inference busy ${pct(busy)}, waiting for ≤ ${pct(busyLowRatio)}`;
      pressure = board.hold ? 'thermal' : 'inference';
    } else if (before < ceiling) {
      state.calmTicks++;
      if (state.calmTicks >= raiseAfterTicks) {
        state.calmTicks = 0;
        cap = Math.min(ceiling, Math.max(roundFps(before * (1 + step)), roundFps(before + 0.1)));
        reason = cap >= ceiling ? 'recovered' : `recovering: ${fmt(before)} → ${fmt(cap)} fps`;
      } else {
        reason = `calm ${state.calmTicks}/${raiseAfterTicks} ticks before raising`;
      }
    } else {
      state.calmTicks = 0;
      reason = 'ok';
    }
    state.cap = cap;
    return { fps_cap: cap, changed: cap !== previous, pressure, reason };
  }
}

/** Builds an update() sample from a host snapshot and the daemon's per-camera numbers. */
export function loadSample(host: Pick<HostSnapshot, 'cpu_temp_c' | 'throttled'>, cameras: Record<string, CameraLoad>): LoadSample {
  return { temp_c: host.cpu_temp_c, throttled: host.throttled, cameras };
}

function roundFps(fps: number): number {
  return Math.round(fps * 10) / 10;
}

function fmt(fps: number): string {
  return String(roundFps(fps));
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
