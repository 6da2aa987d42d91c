// The example config is what people copy: its "nights and weekends" schedule must really cover every
// night and the whole weekend (it once left Monday 00:00–07:30 uncovered).
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { Schedule } from '../../../src/schedule';

test("the example camera's schedule covers every night and the whole weekend, and weekday afternoons are off", () => {
  const { config } = loadConfig({ file: path.join(__dirname, '..', '..', '..', 'config', 'lookout.example.yaml'), overrides: [] });
  const camera = config.cameras[0];
  const schedule = Schedule.parse(camera.schedule, { timezone: 'UTC' });
  // 2026-11-30 is a Monday.
  const inactive: string[] = [];
  for (let minutes = 0; minutes < 7 * 24 * 60; minutes += 15) {
    const t = new Date(Date.UTC(2026, 10, 30) + minutes * 60_000);
    const day = t.getUTCDay();
    const hhmm = t.getUTCHours() * 60 + t.getUTCMinutes();
    const weekend = day === 0 || day === 6;
    const night = hhmm < 7 * 60 + 30 || hhmm >= 18 * 60;
    if ((weekend || night) !== schedule.isActive(t)) inactive.push(`${t.toISOString()} expected ${weekend || night ? 'active' : 'inactive'}`);
  }
  expect(inactive).toEqual([]);
});
