import { BoundedQueue, type QueuedMessage } from '../../../src/mqtt/queue';

const msg = (topic: string, at: number, retain = false, text = topic): QueuedMessage => ({
  topic,
  payload: Buffer.from(text),
  retain,
  enqueuedAt: at,
});

describe('BoundedQueue', () => {
  it('keeps order and drops the oldest past the bound, counting them', () => {
    const q = new BoundedQueue({ maxMessages: 3, maxAgeMs: 60_000 });
    for (let i = 1; i <= 5; i++) q.push(msg(`e${i}`, 0));
    expect(q.length).toBe(3);
    expect(q.drops.overflow).toBe(2);
    expect([q.shift(0)?.topic, q.shift(0)?.topic, q.shift(0)?.topic, q.shift(0)]).toEqual(['e3', 'e4', 'e5', undefined]);
  });

  it('drops non-retained messages older than the max age instead of delivering them late', () => {
    const q = new BoundedQueue({ maxMessages: 10, maxAgeMs: 1000 });
    q.push(msg('old', 0));
    q.push(msg('new', 5000));
    expect(q.shift(5500)?.topic).toBe('new');
    expect(q.drops.expired).toBe(1);
  });

  it('still delivers old retained state unless a newer value of the same topic is queued', () => {
    const q = new BoundedQueue({ maxMessages: 10, maxAgeMs: 1000 });
    q.push(msg('status', 0, true, 'a'));
    q.push(msg('count', 0, true, '1'));
    q.push(msg('status', 100, true, 'b'));
    const out = [q.shift(9999), q.shift(9999), q.shift(9999)];
    expect(out.map((m) => m && `${m.topic}=${m.payload.toString()}`)).toEqual(['count=1', 'status=b', undefined]);
    expect(q.drops.expired).toBe(1);
  });

  it('unshift puts a message back in front; remaining lifetime is at least 1 s', () => {
    const q = new BoundedQueue({ maxMessages: 10, maxAgeMs: 10_000 });
    q.push(msg('a', 0));
    q.push(msg('b', 0));
    const a = q.shift(0)!;
    q.unshift(a);
    expect(q.shift(0)?.topic).toBe('a');
    expect(q.remainingSeconds(a, 2500)).toBe(8);
    expect(q.remainingSeconds(a, 20_000)).toBe(1);
  });

  it('stays correct through many pushes and shifts (compaction)', () => {
    const q = new BoundedQueue({ maxMessages: 5000, maxAgeMs: 1e9 });
    let next = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 300; i++) q.push(msg(String(round * 300 + i), 0));
      for (let i = 0; i < 250; i++) expect(q.shift(0)?.topic).toBe(String(next++));
    }
    expect(q.length).toBe(20 * 50);
  });

  it('rejects a nonsense policy', () => {
    expect(() => new BoundedQueue({ maxMessages: 0, maxAgeMs: 1 })).toThrow(/maxMessages/);
  });
});
