import { cleanStderrLine, LineTail, stderrReason } from '../../../src/capture/stderr-reason';

// Lines as OpenCV 4.6, GStreamer, GLib and FFmpeg print them on these machines.
const GST_MISSING_APPSINK = [
  "(node:14498): GLib-GObject-WARNING **: 19:36:49.786: invalid cast from 'GstAppSink' to 'GstBin'",
  '',
  "(node:14498): GStreamer-CRITICAL **: 19:36:49.786: gst_bin_iterate_elements: assertion 'GST_IS_BIN (bin)' failed",
  '[ WARN:0@0.034] global ./modules/videoio/src/cap_gstreamer.cpp (1226) open OpenCV | GStreamer warning: cannot find appsink in manual pipeline',
  '[ WARN:0@0.034] global ./modules/videoio/src/cap_gstreamer.cpp (862) isPipelinePlaying OpenCV | GStreamer warning: GStreamer: pipeline have not been created',
];

test('GStreamer warnings become the reason; GLib assertion noise is left out', () => {
  expect(stderrReason(GST_MISSING_APPSINK)).toBe('GStreamer: cannot find appsink in manual pipeline');
});

test('a missing file in a pipeline', () => {
  expect(
    stderrReason([
      '[ WARN:0@0.094] global ./modules/videoio/src/cap_gstreamer.cpp (2401) handleMessage OpenCV | GStreamer warning: Embedded video playback halted; module filesrc0 reported: Resource not found.',
      '[ WARN:0@0.094] global ./modules/videoio/src/cap_gstreamer.cpp (1356) open OpenCV | GStreamer warning: unable to start pipeline',
    ]),
  ).toBe('GStreamer: Embedded video playback halted; module filesrc0 reported: Resource not found.; GStreamer: unable to start pipeline');
});

test('V4L2 and FFmpeg lines, with passwords removed', () => {
  expect(cleanStderrLine("[ WARN:0@0.026] global ./modules/videoio/src/cap_v4l.cpp (902) open VIDEOIO(V4L2:/dev/video3): can't open camera by index")).toBe(
    "VIDEOIO(V4L2:/dev/video3): can't open camera by index",
  );
  expect(cleanStderrLine('[tcp @ 0x3c80aec0] Connection to tcp://admin:pw@127.0.0.1:1?timeout=0 failed: Connection refused')).toBe(
    'ffmpeg tcp: Connection to tcp://admin:***@127.0.0.1:1?timeout=0 failed: Connection refused',
  );
});

test('only the last few distinct messages are kept', () => {
  const lines = ['a', 'b', 'b', 'c', 'd'];
  expect(stderrReason(lines, 2)).toBe('c; d');
});

test('LineTail joins chunks into lines and keeps the last N', () => {
  const seen: string[] = [];
  const t = new LineTail(2, (l) => seen.push(l));
  t.push('one\ntw');
  t.push('o\r\nthree\nfo');
  expect(t.lines).toEqual(['two', 'three']);
  t.flush();
  expect(t.lines).toEqual(['three', 'fo']);
  expect(seen).toEqual(['one', 'two', 'three', 'fo']);
});
