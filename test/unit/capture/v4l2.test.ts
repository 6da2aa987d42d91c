import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeviceUnavailableError, fourccCode, fourccString, resolveV4l2Device } from '../../../src/capture/v4l2';

describe('resolveV4l2Device', () => {
  let dir: string;
  beforeEach(() => {
    // A stand-in for /dev: device nodes as files, and a by-id folder of relative links like udev makes.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-v4l-'));
    fs.writeFileSync(path.join(dir, 'video0'), '');
    fs.writeFileSync(path.join(dir, 'video2'), '');
    fs.mkdirSync(path.join(dir, 'by-id'));
    fs.symlinkSync('../video2', path.join(dir, 'by-id', 'usb-Logitech_C920_ABC-video-index0'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a by-id link resolves to the index of the node it points at now', async () => {
    const link = path.join(dir, 'by-id', 'usb-Logitech_C920_ABC-video-index0');
    expect(await resolveV4l2Device(link)).toEqual({ index: 2, node: path.join(dir, 'video2'), watchPath: link });
    // Replugged: udev points the same link at another node.
    fs.unlinkSync(link);
    fs.symlinkSync('../video0', link);
    expect((await resolveV4l2Device(link)).index).toBe(0);
  });

  test('an unplugged camera (dangling or missing link) is reported as not present, with the path to watch', async () => {
    const link = path.join(dir, 'by-id', 'usb-Logitech_C920_ABC-video-index0');
    fs.unlinkSync(path.join(dir, 'video2'));
    const err = await resolveV4l2Device(link).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as DeviceUnavailableError).present).toBe(false);
    expect((err as DeviceUnavailableError).watchPath).toBe(link);
    expect((err as Error).message).toMatch(/not present \(unplugged/);
  });

  test('a link to something that is not a videoN node is refused', async () => {
    fs.writeFileSync(path.join(dir, 'media0'), '');
    fs.symlinkSync('../media0', path.join(dir, 'by-id', 'other'));
    await expect(resolveV4l2Device(path.join(dir, 'by-id', 'other'))).rejects.toThrow(/not a \/dev\/videoN node/);
  });

  test('an index or /dev/videoN that does not exist', async () => {
    // No camera on this machine at an index this high.
    await expect(resolveV4l2Device(97)).rejects.toThrow('V4L2 device /dev/video97 not present');
    await expect(resolveV4l2Device('/dev/video98')).rejects.toThrow('V4L2 device /dev/video98 not present');
  });
});

test('fourcc codes round-trip as OpenCV computes them', () => {
  // cv.VideoWriter.fourcc('M','J','P','G') === 1196444237
  expect(fourccCode('MJPG')).toBe(1196444237);
  expect(fourccString(1196444237)).toBe('MJPG');
  expect(fourccString(fourccCode('YUYV'))).toBe('YUYV');
  expect(fourccString(0)).toBe('');
  expect(() => fourccCode('MJPEG')).toThrow(/4 printable/);
});
