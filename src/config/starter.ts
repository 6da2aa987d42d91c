/**
 * The short config an install writes when there is none: the camera this machine has (or the one the
 * user named), the broker the user named, no schedule, the default labels. A first install must
 * detect something the moment it starts; the full example (every key, a schedule, masks) is installed
 * beside it as a reference, not as the running config.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { listV4l2Nodes } from '../system/v4l2-nodes';
import type { SourceConfig } from './camera-schema';

export interface StarterOptions {
  /** What the user named: /dev/videoN, a /dev/v4l/by-id link, csi-pi, csi-jetson, rtsp://…, or a video file. */
  camera?: string;
  mqttUrl?: string;
  mqttUser?: string;
  deviceId?: string;
  /** Where to look for cameras (tests). */
  sysfs?: string;
  devDir?: string;
  /** Raspberry Pi / Jetson detection (tests). */
  board?: 'raspberry-pi' | 'jetson' | null;
}

export interface StarterConfig {
  yaml: string;
  /** The camera chosen, in words, or why there is none. */
  camera: string;
  hasCamera: boolean;
}

/** What the device tree says this board is. */
export function detectBoard(modelFile = '/proc/device-tree/model', tegraFile = '/etc/nv_tegra_release'): 'raspberry-pi' | 'jetson' | null {
  if (fs.existsSync(tegraFile)) return 'jetson';
  try {
    if (/raspberry pi/i.test(fs.readFileSync(modelFile, 'utf8'))) return 'raspberry-pi';
  } catch {
    // no device tree: a PC or VM
  }
  return null;
}

/** A source config from what a user types after --camera. */
export function sourceFromArgument(text: string): SourceConfig {
  const s = text.trim();
  if (s === 'csi-pi' || s === 'libcamera') return { type: 'csi-pi', width: 1280, height: 720, fps: 15 };
  if (s === 'csi-jetson' || /^csi-jetson:\d+$/.test(s))
    return { type: 'csi-jetson', sensor_id: Number(s.split(':')[1] ?? 0), width: 1280, height: 720, fps: 15 };
  if (/^(rtsp|rtsps|http|https):\/\//.test(s)) return { type: 'url', url: s };
  if (/^\d+$/.test(s) || s.startsWith('/dev/video') || s.startsWith('/dev/v4l/')) return { type: 'v4l2', device: /^\d+$/.test(s) ? `/dev/video${s}` : s };
  return { type: 'file', path: s, loop: true };
}

function chooseCamera(o: StarterOptions): { source: SourceConfig | null; why: string } {
  if (o.camera) return { source: sourceFromArgument(o.camera), why: `${o.camera} (named with --camera)` };
  const v4l2 = listV4l2Nodes(o.sysfs, o.devDir).find((n) => n.isCamera);
  if (v4l2) {
    const stable = v4l2.stableNames.find((n) => n.includes('/by-id/')) ?? v4l2.node;
    return { source: { type: 'v4l2', device: stable }, why: `${stable}${v4l2.name ? ` (${v4l2.name})` : ''}, the first V4L2 camera` };
  }
  const board = o.board === undefined ? detectBoard() : o.board;
  if (board === 'raspberry-pi') return { source: sourceFromArgument('csi-pi'), why: 'the Raspberry Pi camera module (csi-pi; no USB camera found)' };
  if (board === 'jetson') return { source: sourceFromArgument('csi-jetson'), why: 'the Jetson CSI camera, sensor 0 (csi-jetson; no USB camera found)' };
  return { source: null, why: 'none found: add one under cameras: (lookout cameras lists what this machine has)' };
}

export function starterConfig(o: StarterOptions = {}): StarterConfig {
  const { source, why } = chooseCamera(o);
  const doc = new YAML.Document({
    ...(o.deviceId ? { device: { id: o.deviceId } } : {}),
    mqtt: { url: o.mqttUrl ?? 'mqtt://127.0.0.1:1883', ...(o.mqttUser ? { username: o.mqttUser } : {}) },
    // int8 where it is built and the CPU has fast int8 kernels (every Pi 4/5, Jetson), else FP32.
    detector: { model: 'auto' },
    cameras: source ? [{ name: 'camera1', source, max_fps: 5 }] : [],
  });
  doc.commentBefore = [
    ' Lookout starter config, written by scripts/install.sh. Every key is documented in',
    ' config.example.yaml beside this file. After an edit: sudo systemctl reload lookout',
    ' (changes under mqtt: need sudo systemctl restart lookout). Check it: lookout doctor',
    ...(o.mqttUser ? [' The MQTT password is the systemd credential /etc/lookout/credentials/mqtt_password.'] : []),
    ' No schedule: detection runs all the time. Labels: person, bicycle, car, motorcycle, bus,',
    ' truck, cat, dog, bird (objects.track).',
  ].join('\n');
  let yaml = doc.toString();
  if (!source) {
    // A config file needs a camera: `config check` (and the install) say so until one is added.
    yaml = yaml.replace(
      /^cameras: \[\]\n/m,
      'cameras: []\n# No camera was found. Add one, e.g.:\n#   - name: camera1\n#     source: {type: v4l2, device: /dev/video0}\n',
    );
  }
  return { yaml, camera: why, hasCamera: source !== null };
}
