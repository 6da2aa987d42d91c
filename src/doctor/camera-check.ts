/**
 * Each enabled camera opened the way the daemon opens it (same source spec, transform and timeouts,
 * its own capture process) until it delivers one frame; a failure comes with the capture's own reason
 * and, for a missing GStreamer element, the package that brings it.
 */
import { CameraCapture, gstreamerPipelineOf, type CameraStatusChange } from '../capture';
import { diagnoseGstPipeline } from '../capture/gst-diagnose';
import type { LookoutConfig } from '../config';
import { cameraSettings } from '../pipeline/camera-settings';
import { gstInstallHint } from '../system/gst-packages';
import { fail, ok, type Check } from './report';
import { errorMessage } from '../util/errors';

function fixFor(reason: string, sourceType: string): string {
  const elements = [...reason.matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]);
  const gst = /GStreamer has no element/.test(reason) ? gstInstallHint(elements) : undefined;
  if (gst) return gst;
  if (/EACCES|permission|no access/i.test(reason)) return "add the user to group 'video' (sudo usermod -aG video lookout) and check the unit's DeviceAllow=";
  if (/not present|not found|ENOENT|No such file/i.test(reason)) {
    return sourceType === 'v4l2' ? 'plug the camera in, or list cameras with: lookout cameras' : 'check the path in the camera source';
  }
  if (sourceType === 'rtsp' || sourceType === 'stream') return 'check the URL, user and password in a player (ffplay/vlc) from this machine';
  return 'see docs/service.md, Troubleshooting';
}

export function cameraChecks(config: LookoutConfig, timeoutMs = 20_000): Check[] {
  return config.cameras
    .filter((c) => c.enabled !== false)
    .map((camera): Check => {
      const subject = `camera ${camera.name}`;
      return {
        subject,
        async run() {
          const settings = cameraSettings(camera, config);
          // A missing element can make OpenCV's GStreamer open hang until the open timeout; ask first.
          const pipeline = gstreamerPipelineOf(settings.capture.source);
          const missing = pipeline === undefined ? undefined : await diagnoseGstPipeline(pipeline);
          if (missing) return fail(subject, missing, fixFor(missing, camera.source.type));
          const capture = new CameraCapture({ ...settings.capture, openTimeoutMs: Math.min(settings.capture.openTimeoutMs ?? timeoutMs, timeoutMs) });
          let lastReason = '';
          const abort = new AbortController();
          // The daemon would retry a failed open forever; the doctor reports the first failure.
          capture.on('status', (s: CameraStatusChange) => {
            if (s.reason) lastReason = s.reason;
            if (s.state === 'error' || s.state === 'ended') abort.abort();
          });
          const timer = setTimeout(() => abort.abort(), timeoutMs);
          const started = performance.now();
          capture.start();
          try {
            const frame = await capture.nextFrame(abort.signal);
            const ms = Math.round(performance.now() - started);
            return ok(subject, `${capture.status.source}: first frame ${frame.width}x${frame.height} after ${ms} ms`);
          } catch (e) {
            const reason = lastReason || capture.status.reason || errorMessage(e);
            const why = abort.signal.aborted && !lastReason ? `no frame within ${timeoutMs / 1000} s` : reason;
            return fail(subject, `${capture.status.source}: ${why}`, fixFor(why, camera.source.type));
          } finally {
            clearTimeout(timer);
            await capture.stop();
          }
        },
      };
    });
}
