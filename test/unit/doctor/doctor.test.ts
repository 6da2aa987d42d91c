import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { summarizeFormats } from '../../../src/commands/cameras';
import { listV4l2Nodes } from '../../../src/system/v4l2-nodes';
import { timeZoneCheck } from '../../../src/doctor/host-checks';
import { doctorExitCode, fail, formatResult, ok, runChecks, summary, warn } from '../../../src/doctor/report';
import { gstInstallHint, packageForGstElement } from '../../../src/system/gst-packages';
import type { LookoutConfig } from '../../../src/config';

describe('doctor report', () => {
  test('a check that throws is a failed line, and the checks after it still run', async () => {
    const seen: string[] = [];
    const results = await runChecks(
      [
        { subject: 'a', run: async () => ok('a', 'fine') },
        {
          subject: 'b',
          run: async () => {
            throw new Error('boom');
          },
        },
        { subject: 'c', run: async () => [warn('c', 'hot', 'cool it'), ok('c2', 'fine')] },
      ],
      (r) => seen.push(r.subject),
    );
    expect(seen).toEqual(['a', 'b', 'c', 'c2']);
    expect(results[1]).toEqual({ subject: 'b', status: 'fail', detail: 'the check itself failed: boom' });
    expect(doctorExitCode(results)).toBe(1);
    expect(summary(results)).toBe('4 checks: 2 ok, 1 warnings, 1 failed');
  });

  test('warnings alone exit 0; the fix goes on its own line', () => {
    expect(doctorExitCode([ok('a', 'x'), warn('b', 'y', 'z')])).toBe(0);
    expect(formatResult(fail('broker', 'refused', 'set the password'))).toBe('FAIL  broker: refused\n      fix: set the password');
    expect(formatResult(ok('disk', '1 GB free'))).toBe('ok    disk: 1 GB free');
  });
});

describe('GStreamer elements → packages', () => {
  test('the Pi camera element names its package', () => {
    expect(packageForGstElement('libcamerasrc')).toBe('gstreamer1.0-libcamera');
    expect(gstInstallHint(['libcamerasrc', 'avdec_h264', 'libcamerasrc'])).toBe('sudo apt install gstreamer1.0-libcamera gstreamer1.0-libav');
    expect(gstInstallHint(['nvarguscamerasrc'])).toBe('install nvidia-l4t-gstreamer (JetPack)');
    expect(gstInstallHint(['madeup'])).toBeUndefined();
  });
});

describe('lookout cameras', () => {
  test('capture nodes are listed with stable names; codec, metadata and raw sensor nodes are passed over', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-v4l-'));
    const sysfs = path.join(root, 'sys');
    const dev = path.join(root, 'dev');
    const node = (n: string, name: string, index: number) => {
      fs.mkdirSync(path.join(sysfs, n), { recursive: true });
      fs.writeFileSync(path.join(sysfs, n, 'name'), `${name}\n`);
      fs.writeFileSync(path.join(sysfs, n, 'index'), `${index}\n`);
      fs.mkdirSync(dev, { recursive: true });
      fs.writeFileSync(path.join(dev, n), '');
    };
    node('video0', 'unicam-image', 0);
    node('video2', 'HD Pro Webcam C920', 0);
    node('video3', 'HD Pro Webcam C920', 1);
    node('video10', 'bcm2835-codec-decode', 0);
    fs.mkdirSync(path.join(dev, 'v4l', 'by-id'), { recursive: true });
    fs.symlinkSync(path.join(dev, 'video2'), path.join(dev, 'v4l', 'by-id', 'usb-046d_C920-video-index0'));
    const nodes = listV4l2Nodes(sysfs, dev);
    expect(nodes.map((n) => [path.basename(n.node), n.isCamera])).toEqual([
      ['video0', false],
      ['video2', true],
      ['video3', false],
      ['video10', false],
    ]);
    expect(nodes[1].stableNames).toEqual([path.join(dev, 'v4l', 'by-id', 'usb-046d_C920-video-index0')]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('formats and sizes from v4l2-ctl, each size once', () => {
    const text = [
      "\t[0]: 'YUYV' (YUYV 4:2:2)",
      '\t\tSize: Discrete 640x480',
      '\t\t\tInterval: Discrete 0.033s (30.000 fps)',
      '\t\tSize: Discrete 640x480',
      "\t[1]: 'MJPG' (Motion-JPEG, compressed)",
      '\t\tSize: Discrete 1280x720',
      '\t\tSize: Discrete 1920x1080',
    ].join('\n');
    expect(summarizeFormats(text)).toBe('YUYV 640x480; MJPG 1280x720 1920x1080');
  });
});

describe('time zone check', () => {
  const config = (schedule: unknown[], timezone = '') =>
    ({ cameras: [{ name: 'porch', schedule }], schedule: { timezone, latitude: null, longitude: null } }) as unknown as LookoutConfig;

  test('schedules on a machine still in UTC get a warning with the command that fixes it', async () => {
    const r = await timeZoneCheck(config([{ days: ['mon'], from: '18:00', to: '07:00' }]), 'Etc/UTC').run();
    expect(r).toMatchObject({ status: 'warn', fix: expect.stringContaining('timedatectl set-timezone') });
  });

  test('a zone named in the config, or no schedules, is fine', async () => {
    expect(await timeZoneCheck(config([{ from: '18:00', to: '07:00' }], 'Europe/Berlin'), 'UTC').run()).toMatchObject({ status: 'ok' });
    expect(await timeZoneCheck(config([]), 'UTC').run()).toMatchObject({ status: 'ok' });
  });
});
