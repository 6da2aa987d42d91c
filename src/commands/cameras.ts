/**
 * `lookout cameras`: the cameras this machine has, as the config would name them: V4L2 nodes (with
 * their stable /dev/v4l/by-id names, formats and sizes when v4l2-ctl is installed) and libcamera
 * cameras (Raspberry Pi CSI modules) when rpicam/libcamera tools are installed.
 */
import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { listV4l2Nodes } from '../system/v4l2-nodes';
import type { CommandContext } from './common';

export function registerCameras(program: Command, ctx: CommandContext): void {
  program
    .command('cameras')
    .description(
      'List the cameras of this machine: V4L2 devices (stable names, formats and sizes with v4l-utils) and libcamera cameras, with the config line for each.',
    )
    .action(async () => ctx.setExitCode(await runCamerasCommand()));
}

function run(cmd: string, args: string[], timeoutMs = 8000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
      resolve(`${stdout}${stderr}`);
    });
  });
}

/** "MJPG 1280x720 640x480; YUYV 640x480" from `v4l2-ctl --list-formats-ext`. */
export function summarizeFormats(text: string): string {
  const formats: { fourcc: string; sizes: string[] }[] = [];
  for (const line of text.split('\n')) {
    const f = /\[\d+\]:\s*'(\w{3,4})'/.exec(line);
    if (f) {
      formats.push({ fourcc: f[1], sizes: [] });
      continue;
    }
    const s = /Size: Discrete (\d+x\d+)/.exec(line);
    if (s && formats.length > 0) {
      const cur = formats[formats.length - 1];
      if (!cur.sizes.includes(s[1])) cur.sizes.push(s[1]);
    }
  }
  return formats.map((f) => `${f.fourcc} ${f.sizes.join(' ')}`.trim()).join('; ');
}

export async function runCamerasCommand(
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  sysfs?: string,
  devDir?: string,
): Promise<number> {
  const nodes = listV4l2Nodes(sysfs, devDir);
  const cameras = nodes.filter((n) => n.isCamera);
  write(
    `V4L2: ${cameras.length} camera node(s)${nodes.length > cameras.length ? `, ${nodes.length - cameras.length} other node(s) passed over (codec, ISP, metadata)` : ''}`,
  );
  let noTool = false;
  for (const n of cameras) {
    write(`  ${n.node}  ${n.name || '(no name)'}`);
    for (const s of n.stableNames) write(`      stable name: ${s}`);
    const formats = await run('v4l2-ctl', ['--device', n.node, '--list-formats-ext']);
    if (formats === undefined) noTool = true;
    else if (summarizeFormats(formats)) write(`      formats: ${summarizeFormats(formats)}`);
    write(`      config: source: { type: v4l2, device: ${n.stableNames.find((s) => s.includes('by-id')) ?? n.node} }`);
  }
  if (noTool) write('  (install v4l-utils to see formats and sizes: sudo apt install v4l-utils)');
  let listed = false;
  for (const tool of ['rpicam-hello', 'libcamera-hello']) {
    const out = await run(tool, ['--list-cameras']);
    if (out === undefined) continue;
    listed = true;
    const lines = out.split('\n').filter((l) => /^\s*\d+\s*:|Modes:|^\s+'/.test(l));
    write(`libcamera (${tool} --list-cameras):${lines.length ? '' : ' none found'}`);
    for (const l of lines) write(`  ${l.trim()}`);
    if (lines.length) write('      config: source: { type: csi-pi }  (needs gstreamer1.0-libcamera)');
    break;
  }
  if (!listed) write('libcamera: rpicam-apps not installed (Raspberry Pi CSI cameras: sudo apt install rpicam-apps gstreamer1.0-libcamera)');
  return 0;
}
