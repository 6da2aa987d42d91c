import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../../src/config';
import { sourceFromArgument, starterConfig } from '../../../src/config/starter';

function fakeDevices(nodes: [string, string, number][]): { sysfs: string; devDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-starter-'));
  const sysfs = path.join(root, 'sys');
  const devDir = path.join(root, 'dev');
  fs.mkdirSync(devDir, { recursive: true });
  for (const [node, name, index] of nodes) {
    fs.mkdirSync(path.join(sysfs, node), { recursive: true });
    fs.writeFileSync(path.join(sysfs, node, 'name'), name);
    fs.writeFileSync(path.join(sysfs, node, 'index'), String(index));
    fs.writeFileSync(path.join(devDir, node), '');
  }
  return { sysfs, devDir };
}

/** The starter must pass the same validation as any config the service runs. */
function validates(yaml: string): ReturnType<typeof loadConfig> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-starter-cfg-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return loadConfig({ file, overrides: [] });
}

describe('the starter config an install writes', () => {
  test('picks the USB camera (not the Pi raw sensor node), runs all the time, on the named broker', () => {
    const devs = fakeDevices([
      ['video0', 'unicam-image', 0],
      ['video2', 'HD Webcam C525', 0],
    ]);
    const s = starterConfig({ ...devs, mqttUrl: 'mqtt://homeassistant.local:1883', mqttUser: 'lookout', board: 'raspberry-pi' });
    const { config } = validates(s.yaml);
    expect(config.cameras).toHaveLength(1);
    expect(config.cameras[0].source).toEqual({ type: 'v4l2', device: path.join(devs.devDir, 'video2') });
    expect(config.cameras[0].schedule ?? []).toEqual([]);
    expect(config.mqtt.url).toBe('mqtt://homeassistant.local:1883');
    expect(config.mqtt.username).toBe('lookout');
    expect(config.detector.model).toBe('auto');
    expect(s.yaml).not.toMatch(/password:/);
    expect(s.camera).toMatch(/video2 \(HD Webcam C525\)/);
  });

  test('no USB camera on a Pi: the camera module; on a PC: no camera, and it says so', () => {
    const none = fakeDevices([]);
    const pi = starterConfig({ ...none, board: 'raspberry-pi' });
    expect(validates(pi.yaml).config.cameras[0].source.type).toBe('csi-pi');
    const pc = starterConfig({ ...none, board: null });
    expect(pc.hasCamera).toBe(false);
    // config check (and so the install) refuses it until a camera is added, and the file shows how.
    expect(() => validates(pc.yaml)).toThrow(/cameras: at least one camera is required/);
    expect(pc.yaml).toMatch(/^# {3}- name: camera1\n# {5}source: \{type: v4l2, device: \/dev\/video0\}$/m);
    expect(pc.camera).toMatch(/lookout cameras/);
  });

  test('--camera takes what users type', () => {
    expect(sourceFromArgument('/dev/video1')).toEqual({ type: 'v4l2', device: '/dev/video1' });
    expect(sourceFromArgument('0')).toEqual({ type: 'v4l2', device: '/dev/video0' });
    expect(sourceFromArgument('rtsp://cam.local/stream1')).toEqual({ type: 'url', url: 'rtsp://cam.local/stream1' });
    expect(sourceFromArgument('csi-pi').type).toBe('csi-pi');
    expect(sourceFromArgument('csi-jetson:1')).toMatchObject({ type: 'csi-jetson', sensor_id: 1 });
    expect(sourceFromArgument('/srv/door.mp4')).toEqual({ type: 'file', path: '/srv/door.mp4', loop: true });
    const s = starterConfig({ camera: 'rtsp://cam.local/stream1', deviceId: 'porch' });
    const { config } = validates(s.yaml);
    expect(config.device.id).toBe('porch');
    expect((YAML.parse(s.yaml) as { cameras: Array<{ source: { url: string } }> }).cameras[0].source.url).toBe('rtsp://cam.local/stream1');
  });
});
