import { mayReadCompressed } from '../../../src/capture/compressed-frame';

describe('which captures read MJPG compressed', () => {
  const mjpgFile = { api: 'CAP_FFMPEG', fourcc: 'MJPG', motion: true, transformed: false, env: {} };

  it('an FFmpeg-read MJPG source with motion on and no transform', () => {
    expect(mayReadCompressed(mjpgFile)).toBe(true);
  });

  it('not without motion (every frame is decoded anyway), nor another codec, backend or a transform', () => {
    expect(mayReadCompressed({ ...mjpgFile, motion: false })).toBe(false);
    expect(mayReadCompressed({ ...mjpgFile, fourcc: 'XVID' })).toBe(false);
    expect(mayReadCompressed({ ...mjpgFile, api: 'CAP_V4L2' })).toBe(false);
    expect(mayReadCompressed({ ...mjpgFile, transformed: true })).toBe(false);
  });

  it('not when LOOKOUT_MJPEG_COMPRESSED=0', () => {
    expect(mayReadCompressed({ ...mjpgFile, env: { LOOKOUT_MJPEG_COMPRESSED: '0' } })).toBe(false);
    expect(mayReadCompressed({ ...mjpgFile, env: { LOOKOUT_MJPEG_COMPRESSED: '1' } })).toBe(true);
  });
});
