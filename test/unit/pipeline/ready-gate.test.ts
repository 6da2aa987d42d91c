import { ReadyGate } from '../../../src/pipeline/ready-gate';

function notifier() {
  const said: string[] = [];
  return { said, n: { ready: (s?: string) => void said.push(`READY ${s}`), reloading: (s?: string) => void said.push(`RELOADING ${s}`) } };
}

describe('ReadyGate', () => {
  it('a reload before the first READY says nothing: READY=1 waits for a streaming camera', () => {
    const { said, n } = notifier();
    const gate = new ReadyGate(n);
    gate.reloadStarted('reloading config (SIGHUP)');
    gate.reloadFinished('config reloaded');
    expect(said).toEqual([]);
    gate.ready('camera front streaming');
    gate.ready('camera back streaming');
    expect(said).toEqual(['READY camera front streaming']);
  });

  it('after READY, a reload is bracketed by RELOADING=1 … READY=1', () => {
    const { said, n } = notifier();
    const gate = new ReadyGate(n);
    gate.ready('camera front streaming');
    gate.reloadStarted('reloading config (SIGHUP)');
    gate.reloadFinished('config unchanged');
    expect(said).toEqual(['READY camera front streaming', 'RELOADING reloading config (SIGHUP)', 'READY config unchanged']);
  });

  it('READY goes out after the bound when no camera streams; nothing after close', () => {
    jest.useFakeTimers();
    try {
      const { said, n } = notifier();
      const gate = new ReadyGate(n);
      gate.arm(30_000);
      jest.advanceTimersByTime(29_999);
      expect(said).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(said).toEqual(['READY no camera streams yet; ready anyway']);
      const closed = notifier();
      const g2 = new ReadyGate(closed.n);
      g2.arm(1000);
      g2.close();
      jest.advanceTimersByTime(2000);
      g2.ready('late');
      expect(closed.said).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
