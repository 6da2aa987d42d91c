import { compareFrame, iou, summarize, type ComparedDetection } from '../../../src/model-tools/compare-metrics';

const det = (label: string, score: number, box: [number, number, number, number]): ComparedDetection => ({ label, score, box });

describe('iou', () => {
  it('is 1 for the same box, 0 for touching boxes, 1/3 for equal boxes overlapping by half', () => {
    expect(iou([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(iou([0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1])).toBe(0);
    expect(iou([0, 0, 0.2, 0.2], [0.1, 0, 0.3, 0.2])).toBeCloseTo(1 / 3, 6);
  });
});

describe('compareFrame', () => {
  const person = det('person', 0.9, [0.1, 0.1, 0.5, 0.9]);

  it('matches a reference found by B below min score but above match score, and counts its score change', () => {
    const f = compareFrame('f', [person], [det('person', 0.35, [0.11, 0.1, 0.5, 0.9])]);
    expect(f.reference).toBe(1);
    expect(f.missed).toEqual([]);
    expect(f.pairs).toHaveLength(1);
    expect(f.pairs[0].scoreA - f.pairs[0].scoreB).toBeCloseTo(0.55, 6);
    expect(f.extra).toEqual([]);
  });

  it('misses a reference when B has only another label, a far box, or a score under the match bar', () => {
    for (const b of [det('dog', 0.9, person.box), det('person', 0.9, [0.6, 0.1, 0.9, 0.9]), det('person', 0.29, person.box)]) {
      expect(compareFrame('f', [person], [b]).missed).toEqual([person]);
    }
  });

  it('needs IoU strictly above the bar', () => {
    // Half of A's box: IoU exactly 0.5.
    const b = det('person', 0.9, [0.1, 0.1, 0.3, 0.9]);
    expect(compareFrame('f', [person], [b]).missed).toHaveLength(1);
    expect(compareFrame('f', [person], [b], { minScore: 0.5, matchScore: 0.3, iou: 0.49 }).missed).toHaveLength(0);
  });

  it('matches one to one: two references cannot share one B detection', () => {
    const twin = det('person', 0.8, [0.1, 0.1, 0.5, 0.88]);
    const f = compareFrame('f', [person, twin], [det('person', 0.9, person.box)]);
    expect(f.pairs).toHaveLength(1);
    expect(f.pairs[0].scoreA).toBe(0.9);
    expect(f.missed).toEqual([twin]);
  });

  it("ignores A's weak detections as references but counts B's strong new ones as extras", () => {
    const weak = det('cat', 0.4, [0.6, 0.6, 0.9, 0.9]);
    const f = compareFrame('f', [person, weak], [det('person', 0.9, person.box), det('cat', 0.7, weak.box), det('car', 0.6, [0, 0.6, 0.2, 0.9])]);
    expect(f.reference).toBe(1);
    // The cat B promotes to 0.7 is no extra: A had it at 0.4 (>= the match bar).
    expect(f.extra.map((d) => d.label)).toEqual(['car']);
  });
});

describe('summarize', () => {
  it('pools frames: recall, extras, mean and max |Δscore|, mean IoU', () => {
    const a = det('person', 0.9, [0, 0, 0.5, 0.5]);
    const frames = [
      compareFrame('1', [a], [det('person', 0.8, [0, 0, 0.5, 0.5])]),
      compareFrame('2', [a, det('dog', 0.6, [0.6, 0.6, 1, 1])], [det('person', 0.6, [0, 0, 0.5, 0.5]), det('car', 0.9, [0.6, 0, 1, 0.4])]),
    ];
    const s = summarize(frames);
    expect(s).toMatchObject({ frames: 2, reference: 3, matched: 2, extra: 1 });
    expect(s.recall).toBeCloseTo(2 / 3, 6);
    expect(s.mean_abs_dscore).toBeCloseTo(0.2, 6);
    expect(s.max_abs_dscore).toBeCloseTo(0.3, 6);
    expect(s.mean_iou).toBe(1);
  });

  it('says null, not 1 or 0, when A found nothing to compare against', () => {
    const s = summarize([compareFrame('1', [], [])]);
    expect(s).toMatchObject({ reference: 0, matched: 0, recall: null, mean_abs_dscore: null, mean_iou: null });
  });
});
