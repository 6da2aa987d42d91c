import { evaluateTargets, formatReport, memoryIncrement } from '../../../src/bench/report';
import { pipeline, report } from './report-fixture';

describe('memory figures of the bench report', () => {
  test('each camera beyond the first costs the difference in steady PSS, shared over the extra cameras', () => {
    // Fixture: daemon 270 MB + 80 MB per capture process.
    expect(memoryIncrement([pipeline(1), pipeline(3)])).toBe(80);
    expect(memoryIncrement([pipeline(1)])).toBeNull();
    expect(memoryIncrement([])).toBeNull();
  });

  test('the targets judge one camera against 250 MB and each more camera against 60 MB', () => {
    const targets = evaluateTargets({ efficiency: 0.5, pipeline: pipeline(1), opencv: null, int8: null, tfjs: null, memory_runs: [pipeline(1), pipeline(2)] });
    const one = targets.find((t) => t.name.startsWith('PSS of daemon + capture'))!;
    const more = targets.find((t) => t.name.startsWith('PSS per additional camera'))!;
    expect(one).toMatchObject({ value: 350, pass: false });
    expect(more).toMatchObject({ value: 80, pass: false });
    const noRuns = evaluateTargets({ efficiency: 0.5, pipeline: pipeline(1), opencv: null, int8: null, tfjs: null, memory_runs: [] });
    // Without memory runs the main pipeline run's PSS stands in; the increment is not measured.
    expect(noRuns.find((t) => t.name.startsWith('PSS of daemon'))!.value).toBe(350);
    expect(noRuns.find((t) => t.name.startsWith('PSS per additional'))!.pass).toBeNull();
  });

  test('the table shows the main thread beside the process, PSS per process, and the increment', () => {
    const text = formatReport(report([pipeline(1), pipeline(2)]), '/tmp/b.json', '/tmp/b.html');
    expect(text).toContain('of which main thread 9.00');
    expect(text).toMatch(/^ {2}daemon +1000 +270\.0 +270\.0 +270\.0/m);
    expect(text).toMatch(/^ {2}capture +2001 /m);
    expect(text).toContain('Each camera beyond the first adds 80.0 MB PSS');
    expect(text).toContain('Report drawn to /tmp/b.html');
    expect(text).toMatch(/MISS {2}PSS of daemon \+ capture, one camera \(MB\): 350\.0 \(target ≤ 250\)/);
  });
});
