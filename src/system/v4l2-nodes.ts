/** The V4L2 nodes of this machine, which of them are cameras, and their stable names. */
import fs from 'node:fs';
import path from 'node:path';

// V4L2 nodes that are not cameras: Pi codec/ISP nodes, metadata nodes, and the raw sensor receivers
// of a Pi's CSI camera (unicam on a Pi 4, rp1-cfe on a Pi 5), which give Bayer data that only
// libcamera can turn into pictures (the camera is then a `csi-pi` source).
const NOT_A_CAMERA = /codec|isp|rpivid|pispbe|hevc|embedded|metadata|decoder|encoder|unicam|rp1-cfe/i;

/** Whether a V4L2 node (its sysfs name and index) is a camera's capture node OpenCV can read. */
export function isCameraNode(name: string, index: number): boolean {
  return index === 0 && !NOT_A_CAMERA.test(name);
}

export interface V4l2Node {
  node: string;
  name: string;
  /** Linux's index of the node within its device: 0 is the capture node, others metadata etc. */
  index: number;
  stableNames: string[];
  isCamera: boolean;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function listV4l2Nodes(sysfs = '/sys/class/video4linux', devDir = '/dev'): V4l2Node[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(sysfs).filter((n) => /^video\d+$/.test(n));
  } catch {
    return [];
  }
  const links = new Map<string, string[]>();
  for (const dir of ['by-id', 'by-path']) {
    const base = path.join(devDir, 'v4l', dir);
    let names: string[] = [];
    try {
      names = fs.readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const target = path.basename(fs.realpathSync(path.join(base, n)));
        links.set(target, [...(links.get(target) ?? []), path.join(base, n)]);
      } catch {
        // dangling link
      }
    }
  }
  return entries
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((node) => {
      const name = readText(path.join(sysfs, node, 'name')) ?? '';
      const index = Number(readText(path.join(sysfs, node, 'index')) ?? '0');
      return { node: path.join(devDir, node), name, index, stableNames: links.get(node) ?? [], isCamera: isCameraNode(name, index) };
    });
}
