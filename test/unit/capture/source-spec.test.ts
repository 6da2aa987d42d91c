import { describeSource, parseSourceString, redactUrl, validateSourceSpec, type SourceSpec } from '../../../src/capture/source-spec';

const noDirs = { isDirectory: () => false };

describe('parseSourceString', () => {
  test.each([
    ['0', { kind: 'v4l2', device: 0 }],
    ['2', { kind: 'v4l2', device: 2 }],
    ['/dev/video3', { kind: 'v4l2', device: '/dev/video3' }],
    ['/dev/v4l/by-id/usb-Logitech_C920-video-index0', { kind: 'v4l2', device: '/dev/v4l/by-id/usb-Logitech_C920-video-index0' }],
    ['rtsp://user:pw@cam.local:554/stream1', { kind: 'stream', url: 'rtsp://user:pw@cam.local:554/stream1' }],
    ['http://cam/video.mjpg', { kind: 'stream', url: 'http://cam/video.mjpg' }],
    ['libcamera', { kind: 'libcamera', width: 1280, height: 720, fps: 30 }],
    ['jetson', { kind: 'jetson', width: 1280, height: 720, fps: 30, sensorId: 0 }],
    ['jetson:1', { kind: 'jetson', width: 1280, height: 720, fps: 30, sensorId: 1 }],
    ['gst:videotestsrc ! appsink', { kind: 'gstreamer', pipeline: 'videotestsrc ! appsink' }],
    ['videotestsrc ! videoconvert ! appsink', { kind: 'gstreamer', pipeline: 'videotestsrc ! videoconvert ! appsink' }],
    ['clips/vtest.avi', { kind: 'file', path: 'clips/vtest.avi' }],
    ['photos/', { kind: 'images', path: 'photos/' }],
    ['messi5.JPG', { kind: 'images', path: 'messi5.JPG' }],
  ])('%s', (text, spec) => {
    expect(parseSourceString(text, noDirs)).toEqual(spec);
  });

  test('an existing directory is an image folder', () => {
    expect(parseSourceString('/some/folder', { isDirectory: (p) => p === '/some/folder' })).toEqual({ kind: 'images', path: '/some/folder' });
  });

  test('empty text is refused with a hint', () => {
    expect(() => parseSourceString('  ')).toThrow(/empty source/);
  });
});

describe('validateSourceSpec', () => {
  test('valid specs have no errors', () => {
    const ok: SourceSpec[] = [
      { kind: 'v4l2', device: '/dev/video0', width: 1920, height: 1080, fps: 30, fourcc: 'MJPG' },
      { kind: 'v4l2', device: 1 },
      { kind: 'libcamera', width: 1280, height: 720, fps: 30 },
      { kind: 'jetson', width: 1920, height: 1080, fps: 29.97, sensorId: 1, flipMethod: 2 },
      { kind: 'gstreamer', pipeline: 'videotestsrc ! videoconvert ! video/x-raw,format=BGR ! appsink' },
      { kind: 'stream', url: 'rtsp://cam/1', transport: 'udp', latencyMs: 0 },
      { kind: 'stream', url: 'rtsp://cam/1', backend: 'gstreamer' },
      { kind: 'file', path: 'a.mp4', loop: true, pacing: 'fast' },
      { kind: 'images', path: 'dir', fps: 0.5 },
    ];
    for (const s of ok) expect(validateSourceSpec(s)).toEqual([]);
  });

  test('every problem is listed with its path', () => {
    const errors = validateSourceSpec({ kind: 'v4l2', device: 'video0', width: -1, fps: 0, fourcc: 'MJPEG' }, 'cameras.front.source');
    expect(errors).toEqual([
      'cameras.front.source.device: must be /dev/videoN, an index, or an absolute path such as /dev/v4l/by-id/...',
      'cameras.front.source.width: must be a positive integer',
      'cameras.front.source.fps: must be a positive number',
      'cameras.front.source.fourcc: must be 4 characters, e.g. MJPG',
      'cameras.front.source: width and height go together (set both or neither)',
    ]);
  });

  test('a pipeline that does not end in appsink is refused', () => {
    expect(validateSourceSpec({ kind: 'gstreamer', pipeline: 'videotestsrc ! autovideosink' })).toEqual([
      "source.pipeline: must end in 'appsink' (OpenCV takes frames from it), but ends in 'autovideosink'",
    ]);
  });

  test('stream options that do not apply are refused', () => {
    expect(validateSourceSpec({ kind: 'stream', url: 'http://cam/x.mjpg', transport: 'tcp' })).toEqual(['source.transport: only applies to rtsp:// URLs']);
    expect(validateSourceSpec({ kind: 'stream', url: 'cam.local' })[0]).toMatch(/^source.url: must be a URL/);
  });

  test('unknown kinds name the known ones', () => {
    expect(validateSourceSpec({ kind: 'webcam' } as unknown as SourceSpec)).toEqual([
      "source.kind: unknown 'webcam' (use v4l2, libcamera, jetson, gstreamer, stream, file or images)",
    ]);
  });
});

describe('describing sources never shows passwords', () => {
  test('redactUrl', () => {
    expect(redactUrl('rtsp://admin:s3cret@10.0.0.5:554/h264')).toBe('rtsp://admin:***@10.0.0.5:554/h264');
    expect(redactUrl('rtspsrc location="rtsp://u:p@h/x" latency=0')).toBe('rtspsrc location="rtsp://u:***@h/x" latency=0');
    expect(redactUrl('rtsp://10.0.0.5/h264')).toBe('rtsp://10.0.0.5/h264');
  });

  test('describeSource', () => {
    expect(describeSource({ kind: 'stream', url: 'rtsp://admin:s3cret@cam/1' })).toBe('stream rtsp://admin:***@cam/1');
    expect(describeSource({ kind: 'v4l2', device: 0, width: 640, height: 480, fps: 30, fourcc: 'MJPG' })).toBe('v4l2 index 0 640x480@30 MJPG');
    expect(describeSource({ kind: 'file', path: 'a.avi', loop: true })).toBe('file a.avi (loop)');
  });
});
