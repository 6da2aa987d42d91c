import fs from 'node:fs';
import path from 'node:path';
import type { CameraConfig } from './config';
import { isCameraNode } from './system/v4l2-nodes';

const REPO_ROOT = path.resolve(__dirname, '..');
export const DEMO_VIDEO = path.join(REPO_ROOT, '.cache', 'testdata', 'vtest.avi');

export interface DefaultCameraChoice {
  camera: CameraConfig;
  why: string;
}

/** With no config file: the first V4L2 capture device, else the demo video. */
export function chooseDefaultCamera(sysfs = '/sys/class/video4linux', demoVideo = DEMO_VIDEO, devDir = '/dev'): DefaultCameraChoice | { error: string } {
  let nodes: string[] = [];
  try {
    nodes = fs
      .readdirSync(sysfs)
      .filter((n) => /^video\d+$/.test(n))
      .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  } catch {
    // no V4L2 on this machine
  }
  for (const node of nodes) {
    let name = '';
    try {
      name = fs.readFileSync(path.join(sysfs, node, 'name'), 'utf8').trim();
    } catch {
      // unnamed: still try it
    }
    let index = 0;
    try {
      index = Number(fs.readFileSync(path.join(sysfs, node, 'index'), 'utf8').trim());
    } catch {
      // older kernels: assume the capture node
    }
    if (!isCameraNode(name, index) || !fs.existsSync(path.join(devDir, node))) continue;
    return {
      camera: { name: 'camera0', source: { type: 'v4l2', device: `/dev/${node}` } },
      why: `found V4L2 camera /dev/${node}${name ? ` (${name})` : ''}`,
    };
  }
  if (fs.existsSync(demoVideo)) {
    return {
      camera: { name: 'demo', source: { type: 'file', path: demoVideo, loop: true, realtime: true } },
      why: `no V4L2 camera found; playing the demo video ${demoVideo} in a loop`,
    };
  }
  return { error: `no V4L2 camera found and no demo video at ${demoVideo}: run scripts/setup.sh, or configure cameras in a config file` };
}
