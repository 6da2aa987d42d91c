import type { CameraStatusChange } from '../../../src/capture';
import { onCaptureChange, onDetectCommand, onScheduleChange, type CameraStatusView } from '../../../src/daemon/camera-status';

const view = (o: Partial<CameraStatusView> = {}): CameraStatusView => ({
  state: 'starting',
  pausedReason: null,
  adaptiveReason: null,
  captureState: 'starting',
  scheduleActive: true,
  ...o,
});
const change = (state: CameraStatusChange['state'], o: Partial<CameraStatusChange> = {}): CameraStatusChange =>
  ({ camera: 'front', state, previous: 'starting', reason: null, since: 0, ...o }) as CameraStatusChange;

describe('camera status from capture changes', () => {
  it('a detecting camera shows its capture state; streaming tells systemd it may be ready', () => {
    const v = onCaptureChange(view(), true, change('streaming'));
    expect(v).toEqual({ publish: { state: 'streaming', reason: null }, progress: 'active', streaming: true });
  });

  it('a lost stream is `reconnecting` with the retry delay, and leaves the watchdog progress check', () => {
    const v = onCaptureChange(view({ state: 'streaming' }), true, change('stalled', { reason: 'no frame for 10 s', retryInMs: 2500 }));
    expect(v.publish).toEqual({ state: 'reconnecting', reason: 'no frame for 10 s; retrying in 2.5 s' });
    expect(v.progress).toBe('waiting');
    expect(v.streaming).toBe(false);
  });

  it('a file at its end is `stopped` with a reason even when the capture gives none', () => {
    expect(onCaptureChange(view(), true, change('ended')).publish).toEqual({ state: 'stopped', reason: 'end of the file or folder' });
  });

  it('a camera under adaptive load says why while streaming', () => {
    const v = onCaptureChange(view({ adaptiveReason: 'adaptive load: hot; detection capped at 2 fps' }), true, change('streaming'));
    expect(v.publish?.reason).toBe('adaptive load: hot; detection capped at 2 fps');
  });

  it('a paused camera kept open shows a fault now, with its pause reason, and is not counted for the watchdog', () => {
    const cam = view({ state: 'paused', pausedReason: 'schedule window: inactive' });
    const v = onCaptureChange(cam, false, change('error', { reason: 'cannot open /dev/video0' }));
    expect(v).toEqual({ publish: { state: 'error', reason: 'cannot open /dev/video0 (schedule window: inactive)' }, progress: null, streaming: false });
  });

  it('a paused camera that streams again goes back to `paused`, once, and never says ready', () => {
    const faulty = view({ state: 'error', pausedReason: 'detection disabled by command' });
    expect(onCaptureChange(faulty, false, change('streaming'))).toEqual({
      publish: { state: 'paused', reason: 'detection disabled by command' },
      progress: null,
      streaming: false,
    });
    expect(onCaptureChange(view({ state: 'paused' }), false, change('streaming')).publish).toBeNull();
  });

  it('a disabled camera keeps `disabled` whatever its capture says', () => {
    expect(onCaptureChange(view({ state: 'disabled' }), true, change('streaming')).publish).toBeNull();
  });
});

describe('camera status from the schedule and the detect command', () => {
  const until = new Date('2026-12-02T18:00:00.000Z');

  it('a window closing pauses the camera and says until when; opening shows the capture state again', () => {
    const closed = onScheduleChange(view({ captureState: 'streaming' }), { active: false, mode: 'auto', reason: 'window', nextChange: until });
    expect(closed).toEqual({
      state: 'paused',
      reason: 'schedule window: inactive until 2026-12-02T18:00:00.000Z',
      pausedReason: 'schedule window: inactive until 2026-12-02T18:00:00.000Z',
    });
    const open = onScheduleChange(view({ captureState: 'reconnecting' }), { active: true, mode: 'on', reason: 'override', nextChange: null });
    expect(open.state).toBe('reconnecting');
    expect(open.reason).toBe('schedule override on: active');
  });

  it('detect off pauses; detect on outside the window stays paused, inside it shows the capture', () => {
    expect(onDetectCommand(view({ captureState: 'streaming' }), false)).toEqual({
      state: 'paused',
      reason: 'detection disabled by command',
      pausedReason: 'detection disabled by command',
    });
    expect(onDetectCommand(view({ captureState: 'streaming', scheduleActive: false }), true).state).toBe('paused');
    expect(onDetectCommand(view({ captureState: 'streaming' }), true).state).toBe('streaming');
  });
});
