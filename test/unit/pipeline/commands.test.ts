import { applyCommand, MIN_SCORE_FLOOR, type CommandTargets } from '../../../src/pipeline/commands';

function targets(over: Partial<CommandTargets> = {}) {
  const calls: string[] = [];
  const t: CommandTargets = {
    cameras: () => ['front', 'back'],
    whyNotRunning: () => 'its model failed to load',
    reload: async () => {
      calls.push('reload');
      return { ok: true, problems: [], restartNeeded: [], changed: true, hash: 'h' };
    },
    setScores: (camera, minScore, minScores) => {
      calls.push(`scores ${camera} ${minScore} ${JSON.stringify(minScores)}`);
      return { min_score: minScore, min_scores: minScores };
    },
    setDetect: (camera, on) => void calls.push(`detect ${camera} ${on}`),
    overrideSchedule: (camera, mode) => {
      calls.push(`override ${camera} ${mode}`);
      return camera === 'front' ? { active: true, mode, reason: 'override', nextChange: null } : null;
    },
    snapshotNow: (camera) => {
      calls.push(`snapshot ${camera}`);
      return camera === 'front' ? true : null;
    },
    ...over,
  };
  return { t, calls };
}

describe('applyCommand', () => {
  it('applies to every camera on base/set and to one on base/<camera>/set', async () => {
    const all = targets();
    expect(await applyCommand({ command: { detect: false } }, all.t)).toEqual({ ok: true, details: { detect: false } });
    expect(all.calls).toEqual(['detect front false', 'detect back false']);
    const one = targets();
    await applyCommand({ camera: 'back', command: { min_score: 0.6 } }, one.t);
    expect(one.calls).toEqual(['scores back 0.6 undefined']);
  });

  it('refuses scores under the detector floor before changing anything', async () => {
    const { t, calls } = targets();
    const r = await applyCommand({ command: { min_score: 0.7, min_scores: { person: 0.05 } } }, t);
    expect(r).toEqual({ ok: false, error: `min_scores.person 0.05 is below ${MIN_SCORE_FLOOR}, the lowest score the detector passes on` });
    expect(calls).toEqual([]);
  });

  it('reloads first, so a score sent with the reload lands on the new config; a refused reload stops there', async () => {
    const ok = targets();
    const r = await applyCommand({ command: { reload: true, min_score: 0.7 } }, ok.t);
    expect(ok.calls[0]).toBe('reload');
    expect(r).toMatchObject({ ok: true, details: { reload: { changed: true, hash: 'h' }, min_score: 0.7 } });
    const refused = targets({
      reload: async () => ({ ok: false, problems: ['objects.min_score: must be <= 1'], restartNeeded: [], changed: false, hash: 'h' }),
    });
    expect(await applyCommand({ command: { reload: true, detect: false } }, refused.t)).toEqual({
      ok: false,
      error: 'config refused: objects.min_score: must be <= 1',
      details: { problems: ['objects.min_score: must be <= 1'] },
    });
    expect(refused.calls).toEqual([]);
  });

  it('says why a named camera cannot take commands, and what a camera lacks for a command', async () => {
    const { t } = targets();
    expect(await applyCommand({ camera: 'side', command: { detect: true } }, t)).toEqual({
      ok: false,
      error: 'camera side is not running (its model failed to load)',
    });
    expect(await applyCommand({ camera: 'back', command: { schedule_override: 'on' } }, t)).toEqual({
      ok: false,
      error: 'camera back has no schedule to override',
    });
    expect(await applyCommand({ camera: 'back', command: { snapshot: true } }, t)).toEqual({ ok: false, error: 'camera back has no frame yet' });
    // Device-wide, a camera without a schedule or a frame is passed over, not an error.
    expect(await applyCommand({ command: { schedule_override: 'on', snapshot: true } }, t)).toMatchObject({ ok: true, details: { snapshot: true } });
  });

  it('a reload that removes the camera refuses the rest of the command instead of acting on nothing', async () => {
    let cameras = ['front', 'back'];
    const { t, calls } = targets({
      cameras: () => cameras,
      whyNotRunning: () => 'no camera of that name',
      reload: async () => {
        cameras = ['back'];
        calls.push('reload');
        return { ok: true, problems: [], restartNeeded: [], changed: true, hash: 'h2' };
      },
    });
    const r = await applyCommand({ camera: 'front', command: { reload: true, min_score: 0.6, detect: false } }, t);
    expect(r).toEqual({
      ok: false,
      error: 'camera front is not running after the reload (no camera of that name)',
      details: { reload: { changed: true, restart_needed: [], hash: 'h2' } },
    });
    expect(calls).toEqual(['reload']);
  });

  it('a snapshot of a camera whose snapshots are off is refused with the keys to change', async () => {
    const { t } = targets({ snapshotNow: () => ({ refused: 'snapshots are off for this camera (snapshots.enabled, cameras[].snapshots)' }) });
    expect(await applyCommand({ camera: 'front', command: { snapshot: true } }, t)).toEqual({
      ok: false,
      error: 'camera front: snapshots are off for this camera (snapshots.enabled, cameras[].snapshots)',
    });
    expect(await applyCommand({ command: { snapshot: true } }, t)).toEqual({ ok: true, details: {} });
  });
});
