import { FairGate } from '../../../src/pipeline/fair-gate';

/** A wait for `key`'s turn, and whether it has been granted yet. */
function waitTurn(gate: FairGate, key: string): { turn: Promise<() => void>; granted: () => boolean } {
  let granted = false;
  const turn = gate.acquire(key).then((release) => {
    granted = true;
    return release;
  });
  return { turn, granted: () => granted };
}

describe('FairGate', () => {
  it('lets one holder in at a time', async () => {
    const gate = new FairGate();
    const releaseA = await gate.acquire('a');
    const b = waitTurn(gate, 'b');
    await Promise.resolve();
    expect(b.granted()).toBe(false);
    expect(gate.inFlight).toBe(true);
    releaseA();
    (await b.turn)();
    expect(b.granted()).toBe(true);
    expect(gate.inFlight).toBe(false);
  });

  it('serves waiting cameras in turn, so a camera that comes straight back cannot starve the others', async () => {
    const gate = new FairGate();
    const served: string[] = [];
    const first = await gate.acquire('fast');
    // Three cameras wait; 'fast' will re-queue immediately after each of its turns.
    const loop = async (name: string, turns: number) => {
      for (let i = 0; i < turns; i += 1) {
        const release = await gate.acquire(name);
        served.push(name);
        await Promise.resolve();
        release();
      }
    };
    const all = Promise.all([loop('fast', 3), loop('slow1', 3), loop('slow2', 3)]);
    first();
    await all;
    // After 'fast' held it, the next in the ring go first: no camera is served twice in a row while another waits.
    for (let i = 1; i < served.length; i += 1) {
      const waitingOthers = served.slice(i).some((n) => n !== served[i - 1]);
      if (waitingOthers) expect(served[i]).not.toBe(served[i - 1]);
    }
    expect(served.filter((n) => n === 'slow2')).toHaveLength(3);
  });

  it('an aborted wait leaves the queue and rejects', async () => {
    const gate = new FairGate();
    const release = await gate.acquire('a');
    const ac = new AbortController();
    const waiting = gate.acquire('b', ac.signal);
    ac.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    release();
    const again = await gate.acquire('c');
    again();
  });

  it('releasing twice does not open the gate for two', async () => {
    const gate = new FairGate();
    const r = await gate.acquire('a');
    r();
    const r2 = await gate.acquire('b');
    r();
    expect(gate.inFlight).toBe(true);
    r2();
  });
});

describe('FairGate with two turns (one run computing, one queued in the inference worker)', () => {
  it('lets two holders in, the third waits for a release', async () => {
    const gate = new FairGate(2);
    const a1 = await gate.acquire('a');
    const a2 = await gate.acquire('a');
    const b = waitTurn(gate, 'b');
    await Promise.resolve();
    expect(b.granted()).toBe(false);
    expect(gate.holders).toBe(2);
    a1();
    (await b.turn)();
    a2();
    expect(gate.holders).toBe(0);
  });

  it('gives a freed turn to the next camera in the ring, not back to the one that held two', async () => {
    const gate = new FairGate(2);
    const first = [await gate.acquire('a'), await gate.acquire('a')];
    const served: string[] = [];
    const waitFor = (name: string) =>
      gate.acquire(name).then((release) => {
        served.push(name);
        return release;
      });
    const b = waitFor('b');
    first[0]();
    const again = waitFor('a');
    const c = waitFor('c');
    first[1]();
    await Promise.all([b, c]);
    expect(served).toEqual(['b', 'c']);
    (await b)();
    (await again)();
    expect(served).toEqual(['b', 'c', 'a']);
    (await c)();
  });

  it('refuses a turn count that is not a positive integer', () => {
    expect(() => new FairGate(0)).toThrow('slots must be a positive integer, got 0');
  });
});
