// Issue 8, adaptive load, from the outside: the daemon reads the board's temperature and throttle flags
// from the paths in its config (here files the test writes, as on a Pi), lowers a hot camera's
// detection FPS, says why in stats and status, and raises it again once the board has cooled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera } from '../../support/daemon-harness';
import { schemaProblems } from '../../../src/mqtt';

interface CameraStats {
  fps_cap?: number;
  adaptive?: string;
  detect_fps: number;
}
interface Stats {
  cpu_temp_c: number | null;
  throttled?: boolean;
  cameras: Record<string, CameraStats>;
}
interface Status {
  state: string;
  reason: string | null;
}

describe('lookout run: adaptive load', () => {
  let broker: Mosquitto;
  let board: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    board = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-board-'));
    fs.mkdirSync(path.join(board, 'thermal', 'thermal_zone0'), { recursive: true });
    fs.writeFileSync(path.join(board, 'thermal', 'thermal_zone0', 'type'), 'cpu-thermal\n');
    fs.writeFileSync(path.join(board, 'throttled'), '0x0\n');
  });
  afterAll(async () => {
    await broker?.stop();
    fs.rmSync(board, { recursive: true, force: true });
  });
  const setTemp = (c: number) => fs.writeFileSync(path.join(board, 'thermal', 'thermal_zone0', 'temp'), `${Math.round(c * 1000)}\n`);

  daemonTest(
    'a hot board lowers the detection FPS cap with the reason in stats and status; cooling raises it again',
    async () => {
      setTemp(84.5);
      const d = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 })],
        config: {
          stats: { interval_s: 1 },
          adaptive: {
            enabled: true,
            min_fps: 1,
            temp_high_c: 80,
            temp_ok_c: 70,
            thermal_glob: path.join(board, 'thermal'),
            throttled_path: path.join(board, 'throttled'),
            // A check a second (5 s by default): the story below takes a hot check and three calm ones.
            interval_s: 1,
          },
        },
      });
      const stats = () => d.rec.json<Stats>(d.topic('stats'));
      const front = () =>
        stats()
          .map((s) => s.cameras.front)
          .filter((c): c is CameraStats => c !== undefined);

      await d.waitFor('stats with the board temperature', () => stats().some((s) => s.cpu_temp_c === 84.5), 20_000);
      await d.waitFor('a lowered FPS cap with a thermal reason', () => front().some((c) => (c.fps_cap ?? 5) < 5 && /thermal/.test(c.adaptive ?? '')), 30_000);
      const lowered = front().find((c) => (c.fps_cap ?? 5) < 5)!;
      expect(lowered.adaptive).toMatch(/84\.5/);
      for (const s of stats()) expect(schemaProblems('stats', s)).toBeNull();
      await d.waitFor('a status that says detection is capped', () =>
        d.rec.json<Status>(d.topic('front/status')).some((s) => s.state === 'streaming' && /adaptive load: thermal/.test(s.reason ?? '')),
      );

      setTemp(55);
      const lowest = () => Math.min(...front().map((c) => c.fps_cap ?? 5));
      const atLowest = lowest();
      // Raised one step after three calm checks (1 s each here).
      await d.waitFor(
        'the cap raised again after cooling',
        () => {
          const last = front().at(-1);
          return last !== undefined && (last.fps_cap ?? 0) > atLowest && last.adaptive === undefined;
        },
        45_000,
      );
      expect(d.problems().filter((l) => !/adaptive|FPS cap/.test(String(l.msg)))).toEqual([]);
    },
    120_000,
  );
});
