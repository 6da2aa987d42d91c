import { loadConfig, type LookoutConfig } from '../../../src/config';
import { enabledCameraSettings, planReload, removedCounts } from '../../../src/pipeline/reload-plan';
import type { CameraSettings } from '../../../src/pipeline/camera-settings';

function config(patch: (c: LookoutConfig) => void): LookoutConfig {
  const c = loadConfig({ env: {} }).config;
  c.cameras = [
    {
      name: 'front',
      source: { type: 'file', path: '/a.avi' },
      zones: [
        {
          name: 'drive',
          polygon: [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
        },
      ],
    },
    { name: 'back', source: { type: 'v4l2', device: 0 } },
  ];
  patch(c);
  return c;
}
const running = (c: LookoutConfig) => new Map(enabledCameraSettings(c).map((s) => [s.name, s] as [string, CameraSettings]));

describe('planReload', () => {
  it('applies threshold changes live and restarts nothing', () => {
    const prev = config(() => undefined);
    const next = config((c) => (c.objects.min_score = 0.8));
    const plan = planReload(prev, next, running(prev));
    expect(plan.restart).toEqual([]);
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.update.map((u) => u.after.filters.minScore)).toEqual([0.8, 0.8]);
    expect(plan.restartNeeded).toEqual([]);
    expect(plan.reloadModels).toBe(false);
  });

  it('restarts only the camera whose source changed, adds and removes cameras', () => {
    const prev = config(() => undefined);
    const next = config((c) => {
      c.cameras[0].source = { type: 'file', path: '/b.avi' };
      c.cameras[1].enabled = false;
      c.cameras.push({ name: 'side', source: { type: 'gstreamer', pipeline: 'videotestsrc ! appsink' } });
    });
    const plan = planReload(prev, next, running(prev));
    expect(plan.restart.map((s) => s.name)).toEqual(['front']);
    expect(plan.remove).toEqual(['back']);
    expect(plan.add.map((s) => s.name)).toEqual(['side']);
    expect(plan.update).toEqual([]);
  });

  it('a changed model restarts that camera; a changed detector section restarts every camera with new sessions', () => {
    const prev = config(() => undefined);
    const own = planReload(
      prev,
      config((c) => (c.cameras[1].model = 'other')),
      running(prev),
    );
    expect(own.restart.map((s) => s.name)).toEqual(['back']);
    expect(own.reloadModels).toBe(false);
    const all = planReload(
      prev,
      config((c) => (c.detector.threads = 1)),
      running(prev),
    );
    expect(all.reloadModels).toBe(true);
    expect(all.restart.map((s) => s.name)).toEqual(['front', 'back']);
  });

  it('sections that need a restart keep their running values and are named', () => {
    const prev = config(() => undefined);
    const next = config((c) => {
      c.mqtt.url = 'mqtt://elsewhere:1883';
      c.http.port = 1234;
      c.objects.min_score = 0.7;
    });
    const plan = planReload(prev, next, running(prev));
    expect(plan.restartNeeded.sort()).toEqual(['http', 'mqtt']);
    expect(plan.config.mqtt.url).toBe(prev.mqtt.url);
    expect(plan.config.http.port).toBe(prev.http.port);
    expect(plan.config.objects.min_score).toBe(0.7);
  });
});

describe('removedCounts', () => {
  it('lists the counts of labels no longer tracked and of zones removed', () => {
    const before = running(config(() => undefined)).get('front')!;
    const after = running(
      config((c) => {
        c.objects.track = ['person', 'car'];
        c.cameras[0].zones = [];
      }),
    ).get('front')!;
    const gone = removedCounts(before, after);
    expect(gone).toContainEqual({ label: 'dog' });
    expect(gone).toContainEqual({ label: 'person', zone: 'drive' });
    expect(gone).not.toContainEqual({ label: 'person' });
  });

  it('changed adaptive thresholds are applied (a new controller), unchanged ones keep the running one', () => {
    const prev = config(() => undefined);
    expect(
      planReload(
        prev,
        config(() => undefined),
        running(prev),
      ).adaptiveChanged,
    ).toBe(false);
    const hotter = planReload(
      prev,
      config((c) => (c.adaptive.temp_high_c = 85)),
      running(prev),
    );
    expect(hotter.adaptiveChanged).toBe(true);
    expect(hotter.restartNeeded).toEqual([]);
  });
});
