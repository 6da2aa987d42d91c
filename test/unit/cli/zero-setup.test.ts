import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { chooseDefaultCamera } from '../../../src/zero-setup';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-zero-'));
  fs.mkdirSync(path.join(dir, 'sys'));
  fs.mkdirSync(path.join(dir, 'dev'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function node(n: number, name: string, index = 0, withDev = true): void {
  const d = path.join(dir, 'sys', `video${n}`);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'name'), `${name}\n`);
  fs.writeFileSync(path.join(d, 'index'), `${index}\n`);
  if (withDev) fs.writeFileSync(path.join(dir, 'dev', `video${n}`), '');
}
const demo = () => {
  const f = path.join(dir, 'vtest.avi');
  fs.writeFileSync(f, '');
  return f;
};

describe('chooseDefaultCamera (no config file)', () => {
  it('takes the first V4L2 capture node, passing over Pi codec/ISP nodes and metadata nodes', () => {
    node(0, 'bcm2835-codec-decode');
    node(10, 'bcm2835-isp');
    node(2, 'HD Webcam C525', 1); // the metadata node of the webcam below
    node(1, 'HD Webcam C525');
    const choice = chooseDefaultCamera(path.join(dir, 'sys'), demo(), path.join(dir, 'dev'));
    expect(choice).toEqual({
      camera: { name: 'camera0', source: { type: 'v4l2', device: '/dev/video1' } },
      why: 'found V4L2 camera /dev/video1 (HD Webcam C525)',
    });
  });

  it('plays the demo video in a loop when there is no camera', () => {
    node(0, 'USB Camera', 0, false); // sysfs entry without a device node (unplugged)
    const video = demo();
    const choice = chooseDefaultCamera(path.join(dir, 'sys'), video, path.join(dir, 'dev'));
    expect(choice).toMatchObject({ camera: { name: 'demo', source: { type: 'file', path: video, loop: true, realtime: true } } });
  });

  it('says what to do when there is neither a camera nor the demo video', () => {
    const choice = chooseDefaultCamera(path.join(dir, 'missing'), path.join(dir, 'no.avi'), path.join(dir, 'dev'));
    expect(choice).toEqual({ error: expect.stringMatching(/no V4L2 camera found and no demo video at .*no\.avi: run scripts\/setup\.sh/) });
  });
});
