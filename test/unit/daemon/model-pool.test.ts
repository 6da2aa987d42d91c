import pino from 'pino';
import { loadConfig } from '../../../src/config';
import type { DetectorOptions } from '../../../src/detect';
import { ModelPool, type LoadedDetector } from '../../../src/daemon/model-pool';
import type { CameraSettings } from '../../../src/pipeline/camera-settings';

const quiet = pino({ level: 'silent' });
const config = loadConfig({ env: {} }).config;
const cams = (...models: string[]) =>
  models.map((model, i) => ({ name: `c${i}`, model, filters: { minScore: 0.5, minScoreByLabel: {} } }) as unknown as CameraSettings);

function loader() {
  const calls: DetectorOptions[] = [];
  const closed: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const load = async (o: DetectorOptions): Promise<LoadedDetector> => {
    calls.push(o);
    await gate;
    if (o.model === 'broken') throw new Error('no such file broken.onnx');
    return { info: { model: o.model, ep: 'cpu' } as LoadedDetector['info'], detect: async () => ({}) as never, close: async () => void closed.push(o.model!) };
  };
  return { calls, closed, load, release: () => release() };
}

describe('ModelPool', () => {
  it('loads each model once, also when asked again while the first load is in progress', async () => {
    const l = loader();
    const pool = new ModelPool(l.load, quiet);
    const first = pool.ensure(config, cams('a', 'a'));
    const second = pool.ensure(config, cams('a'));
    l.release();
    await Promise.all([first, second]);
    expect(l.calls.map((c) => c.model)).toEqual(['a']);
    expect(pool.get('a')).toBeDefined();
    expect(pool.infos.map((i) => i.model)).toEqual(['a']);
  });

  it('a model that fails is remembered with its reason; the others load', async () => {
    const l = loader();
    l.release();
    const pool = new ModelPool(l.load, quiet);
    await pool.ensure(config, cams('broken', 'a'));
    expect(pool.get('broken')).toBeUndefined();
    expect(pool.whyNot('broken')).toBe('no such file broken.onnx');
    expect(pool.get('a')).toBeDefined();
  });

  it('closes the models no camera uses, or all', async () => {
    const l = loader();
    l.release();
    const pool = new ModelPool(l.load, quiet);
    await pool.ensure(config, cams('a', 'b'));
    await pool.close(new Set(['b']));
    expect(l.closed).toEqual(['a']);
    expect(pool.get('a')).toBeUndefined();
    await pool.close();
    expect(l.closed).toEqual(['a', 'b']);
    expect(pool.whyNot('b')).toBe('model b is not loaded');
  });

  it('the decode floor is the lowest score a camera asks for, and never above the command floor', async () => {
    const l = loader();
    l.release();
    const pool = new ModelPool(l.load, quiet);
    const low = cams('a');
    (low[0].filters as { minScore: number }).minScore = 0.05;
    await pool.ensure(config, low);
    await pool.ensure(config, cams('b'));
    expect(l.calls.map((c) => c.scoreThreshold)).toEqual([0.05, 0.1]);
  });
});
