import { gstPipelineProblems, pipelineElements } from '../../../src/capture/gst-syntax';
import { ffmpegCaptureOptions, fpsFraction, jetsonPipeline, libcameraPipeline, rtspGstreamerPipeline } from '../../../src/capture/pipelines';

describe('presets', () => {
  test('Raspberry Pi CSI through libcamera', () => {
    expect(libcameraPipeline({ kind: 'libcamera', width: 1280, height: 720, fps: 30 })).toBe(
      'libcamerasrc ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1',
    );
    expect(libcameraPipeline({ kind: 'libcamera', width: 640, height: 480, fps: 15, cameraName: '/base/soc/i2c0mux/i2c@1/imx708@1a' })).toMatch(
      /^libcamerasrc camera-name="\/base\/soc\/i2c0mux\/i2c@1\/imx708@1a" ! video\/x-raw,width=640,height=480,framerate=15\/1 ! /,
    );
  });

  test('Jetson CSI through nvarguscamerasrc', () => {
    expect(jetsonPipeline({ kind: 'jetson', width: 1920, height: 1080, fps: 30 })).toBe(
      'nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=30/1 ! nvvidconv ! ' +
        'video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1',
    );
    expect(jetsonPipeline({ kind: 'jetson', width: 1280, height: 720, fps: 60, sensorId: 1, flipMethod: 2 })).toMatch(
      /^nvarguscamerasrc sensor-id=1 ! .*framerate=60\/1 ! nvvidconv flip-method=2 ! /,
    );
  });

  test('frame rates as GStreamer fractions', () => {
    expect(fpsFraction(30)).toBe('30/1');
    expect(fpsFraction(7.5)).toBe('15/2');
    expect(fpsFraction(12.5)).toBe('25/2');
    expect(fpsFraction(29.97)).toBe('30000/1001');
    expect(() => fpsFraction(0)).toThrow(/positive/);
  });

  test('RTSP through GStreamer quotes the URL and sets transport and latency', () => {
    expect(rtspGstreamerPipeline({ kind: 'stream', url: 'rtsp://u:p@cam/ch1?a=1&b=2', transport: 'udp', latencyMs: 100 })).toBe(
      'rtspsrc location="rtsp://u:p@cam/ch1?a=1&b=2" protocols=udp latency=100 ! decodebin ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1',
    );
  });

  test('FFmpeg capture options', () => {
    expect(ffmpegCaptureOptions({ kind: 'stream', url: 'rtsp://cam/1' })).toBe('rtsp_transport;tcp');
    expect(ffmpegCaptureOptions({ kind: 'stream', url: 'rtsp://cam/1', transport: 'udp', latencyMs: 300 })).toBe('rtsp_transport;udp|max_delay;300000');
    expect(ffmpegCaptureOptions({ kind: 'stream', url: 'rtsp://cam/1', latencyMs: 0 })).toBe('rtsp_transport;tcp|fflags;nobuffer');
    expect(ffmpegCaptureOptions({ kind: 'stream', url: 'http://cam/video.mjpg' })).toBe('');
  });
});

describe('user pipelines', () => {
  test('element names leave out caps and pad references', () => {
    expect(
      pipelineElements('videotestsrc is-live=true ! video/x-raw,width=320 ! tee name=t t. ! queue ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true'),
    ).toEqual(['videotestsrc', 'tee', 'queue', 'videoconvert', 'appsink']);
    expect(pipelineElements('rtspsrc location="rtsp://a/b!c" ! decodebin ! appsink')).toEqual(['rtspsrc', 'decodebin', 'appsink']);
  });

  test('problems found before GStreamer sees the pipeline', () => {
    expect(gstPipelineProblems('videotestsrc ! videoconvert ! appsink max-buffers=1')).toEqual([]);
    expect(gstPipelineProblems('videotestsrc ! ! appsink')).toEqual(["empty element between '!' (or a leading/trailing '!')"]);
    expect(gstPipelineProblems('videotestsrc ! xvimagesink')).toEqual(["must end in 'appsink' (OpenCV takes frames from it), but ends in 'xvimagesink'"]);
    expect(gstPipelineProblems('filesrc location="a ! appsink')).toContain('unbalanced double quote');
  });
});
