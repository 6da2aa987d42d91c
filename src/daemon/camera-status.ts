/**
 * Which status a camera publishes, decided from what it is doing and what just happened to it. Three
 * things move a camera's status — its capture, its schedule and the `detect` command — and they
 * interact (a paused camera kept open still shows its faults; a capture that streams again under a
 * pause is `paused`, not `streaming`). Kept pure so every transition is tested without a camera.
 */
import type { CameraStatusChange } from '../capture';
import type { CameraState } from '../mqtt';
import type { ScheduleState } from '../schedule';
import { STATUS_OF_CAPTURE } from '../pipeline/camera-figures';

/** What the status rules need to know about one camera. */
export interface CameraStatusView {
  /** The status published now. */
  state: CameraState;
  /** Why detection is paused (schedule window or command), to return to after a fault while paused. */
  pausedReason: string | null;
  adaptiveReason: string | null;
  /** The last state its capture reported. */
  captureState: CameraStatusChange['state'];
  /** Its schedule (or none) says detect now. */
  scheduleActive: boolean;
}

export interface StatusVerdict {
  /** The status to publish; null leaves the published one as it is. */
  publish: { state: CameraState; reason: string | null } | null;
  /**
   * What the watchdog's progress check learns: `waiting` leaves the camera out while its capture
   * supervisor reopens it (own timeouts and backoff, not a stuck daemon; docs/service.md).
   */
  progress: 'waiting' | 'active' | null;
  /** The camera streams with detection on: systemd may be told READY=1. */
  streaming: boolean;
}

/**
 * A capture status change. `detecting`: whether the camera's loop is detecting now (schedule and
 * command), null when it has no loop (stopping, or its model failed).
 */
export function onCaptureChange(cam: CameraStatusView, detecting: boolean | null, change: CameraStatusChange): StatusVerdict {
  let progress: StatusVerdict['progress'] = null;
  if (detecting) {
    if (change.state === 'starting' || change.state === 'reconnecting' || change.state === 'error' || change.state === 'stalled') progress = 'waiting';
    else if (change.state === 'streaming') progress = 'active';
  }
  const none = { publish: null, progress, streaming: false };
  if (cam.state === 'disabled') return none;
  let reason = change.reason ?? null;
  if (change.state === 'ended') reason = reason ?? 'end of the file or folder';
  if (change.retryInMs !== undefined) reason = `${reason ?? change.state}; retrying in ${(change.retryInMs / 1000).toFixed(1)} s`;
  if (detecting === false) {
    // Paused, with the camera kept open (close_when_inactive: false): a fault shows now, not when
    // detection resumes hours later; once the camera streams again the status is `paused` again.
    const paused = cam.pausedReason ?? 'detection paused';
    if (change.state === 'error' || change.state === 'reconnecting' || change.state === 'stalled') {
      return { ...none, publish: { state: STATUS_OF_CAPTURE[change.state], reason: `${reason ?? change.state} (${paused})` } };
    }
    if (change.state === 'streaming' && cam.state !== 'paused') return { ...none, publish: { state: 'paused', reason: paused } };
    return none;
  }
  if (change.state === 'streaming' && cam.adaptiveReason) reason = cam.adaptiveReason;
  return { publish: { state: STATUS_OF_CAPTURE[change.state], reason }, progress, streaming: change.state === 'streaming' };
}

/** The schedule opened or closed the camera's window (or an override did). */
export function onScheduleChange(cam: CameraStatusView, state: ScheduleState): { state: CameraState; reason: string; pausedReason: string | null } {
  const next = state.nextChange ? ` until ${state.nextChange.toISOString()}` : '';
  const why = state.reason === 'override' ? `schedule override ${state.mode}` : 'schedule window';
  if (state.active) return { state: STATUS_OF_CAPTURE[cam.captureState], reason: `${why}: active${next}`, pausedReason: cam.pausedReason };
  const pausedReason = `${why}: inactive${next}`;
  return { state: 'paused', reason: pausedReason, pausedReason };
}

/** The `detect` command switched detection on or off. */
export function onDetectCommand(cam: CameraStatusView, on: boolean): { state: CameraState; reason: string; pausedReason: string | null } {
  if (on)
    return {
      state: cam.scheduleActive ? STATUS_OF_CAPTURE[cam.captureState] : 'paused',
      reason: 'detection enabled by command',
      pausedReason: cam.pausedReason,
    };
  return { state: 'paused', reason: 'detection disabled by command', pausedReason: 'detection disabled by command' };
}
