import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RetainedLedger } from '../../../src/mqtt/retained-ledger';

describe('RetainedLedger', () => {
  let dir: string;
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ledger-'));
    lines.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a run's topics are stale for the next run unless published again or claimed", () => {
    const file = path.join(dir, 'state', 'mqtt-retained.json');
    const first = new RetainedLedger(file, log);
    for (const t of ['b/front/person', 'b/back/person', 'b/back/status', 'b/front/snapshot']) first.add(t);
    const second = new RetainedLedger(file, log);
    second.add('b/front/person');
    expect(second.takeStale((t) => t.endsWith('/snapshot')).sort()).toEqual(['b/back/person', 'b/back/status']);
    // Cleared topics are gone from the file; the claimed snapshot stays listed.
    expect(new RetainedLedger(file, log).takeStale(() => false).sort()).toEqual(['b/front/person', 'b/front/snapshot']);
  });

  it('a crash before the sweep loses nothing: the old topics stay listed with the new ones', () => {
    const file = path.join(dir, 'l.json');
    new RetainedLedger(file, log).add('b/gone/status');
    const crashed = new RetainedLedger(file, log);
    crashed.add('b/front/person'); // the process dies here, before takeStale
    expect(new RetainedLedger(file, log).takeStale(() => false).sort()).toEqual(['b/front/person', 'b/gone/status']);
  });

  it('a damaged file is ignored with a warning; an unwritable one is said once', () => {
    const file = path.join(dir, 'l.json');
    fs.writeFileSync(file, '{"v":1,"topics":');
    expect(new RetainedLedger(file, log).takeStale(() => false)).toEqual([]);
    expect(lines.filter((l) => l.level === 40 && /damaged/.test(l.msg))).toHaveLength(1);
    fs.writeFileSync(path.join(dir, 'file'), '');
    const unwritable = new RetainedLedger(path.join(dir, 'file', 'sub', 'l.json'), log);
    unwritable.add('a');
    unwritable.add('b');
    expect(lines.filter((l) => /cannot save/.test(l.msg))).toHaveLength(1);
  });
});
