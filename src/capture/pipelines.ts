/**
 * GStreamer pipeline presets (CSI cameras, RTSP) and checks of user pipelines, plus the FFmpeg
 * capture options for network streams. Pure string work; nothing here talks to GStreamer.
 */
import type { JetsonSource, LibcameraSource, SourceSpec, StreamSource } from './source-spec';

/** The tail every preset ends with: BGR for OpenCV, and appsink keeping only the newest buffer. */
const BGR_APPSINK = 'videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1';

/** GStreamer wants a fraction: 30 → `30/1`, 7.5 → `15/2`, 29.97 → `30000/1001`. */
export function fpsFraction(fps: number): string {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new Error(`frame rate must be a positive number, got ${fps}`);
  for (const den of [1, 2, 3, 4, 5, 6, 8, 10, 1001, 100, 1000]) {
    const num = Math.round(fps * den);
    if (num > 0 && Math.abs(num / den - fps) < fps * 1e-4) return `${num}/${den}`;
  }
  return `${Math.round(fps * 1000)}/1000`;
}

export function libcameraPipeline(s: LibcameraSource): string {
  const src = s.cameraName ? `libcamerasrc camera-name="${s.cameraName}"` : 'libcamerasrc';
  return `${src} ! video/x-raw,width=${s.width},height=${s.height},framerate=${fpsFraction(s.fps)} ! ${BGR_APPSINK}`;
}

export function jetsonPipeline(s: JetsonSource): string {
  const conv = s.flipMethod ? `nvvidconv flip-method=${s.flipMethod}` : 'nvvidconv';
  return (
    `nvarguscamerasrc sensor-id=${s.sensorId ?? 0} ! ` +
    `video/x-raw(memory:NVMM),width=${s.width},height=${s.height},framerate=${fpsFraction(s.fps)} ! ` +
    `${conv} ! video/x-raw,format=BGRx ! ${BGR_APPSINK}`
  );
}

/** RTSP through GStreamer: rtspsrc has a real jitter-buffer `latency` and picks tcp/udp per stream. */
export function rtspGstreamerPipeline(s: StreamSource): string {
  const protocols = `protocols=${s.transport ?? 'tcp'}`;
  const latency = `latency=${s.latencyMs ?? 200}`;
  // Quoted: URLs carry '&' and ':' that the pipeline parser would otherwise split on.
  return `rtspsrc location="${s.url.replace(/"/g, '%22')}" ${protocols} ${latency} ! decodebin ! ${BGR_APPSINK}`;
}

/**
 * OPENCV_FFMPEG_CAPTURE_OPTIONS for a stream (`key;value|key;value`). No socket timeout is set on
 * purpose: FFmpeg's rtsp `timeout` meant "listen for an incoming connection" before FFmpeg 5 and a
 * socket timeout after it; our watchdog kills a stuck read instead, whatever the FFmpeg version.
 */
export function ffmpegCaptureOptions(s: StreamSource): string {
  const opts: string[] = [];
  if (/^rtsps?:\/\//i.test(s.url)) opts.push(`rtsp_transport;${s.transport ?? 'tcp'}`);
  if (s.latencyMs !== undefined) {
    // max_delay is in microseconds; 0 means "don't buffer at all".
    opts.push(s.latencyMs === 0 ? 'fflags;nobuffer' : `max_delay;${s.latencyMs * 1000}`);
  }
  return opts.join('|');
}

/** The GStreamer pipeline a source is opened with, for the sources OpenCV opens through GStreamer. */
export function gstreamerPipelineOf(spec: SourceSpec): string | undefined {
  switch (spec.kind) {
    case 'libcamera':
      return libcameraPipeline(spec);
    case 'jetson':
      return jetsonPipeline(spec);
    case 'gstreamer':
      return spec.pipeline;
    case 'stream':
      return spec.backend === 'gstreamer' ? rtspGstreamerPipeline(spec) : undefined;
    case 'v4l2':
    case 'file':
    case 'images':
      return undefined;
  }
}
