import { iou, nms } from '../../../src/detect/nms';
import type { Candidate } from '../../../src/detect/types';

const c = (class_id: number, score: number, box: [number, number, number, number]): Candidate => ({ class_id, score, box });

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint and touching ones', () => {
    expect(iou([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(iou([0, 0, 0.5, 0.5], [0.6, 0.6, 1, 1])).toBe(0);
    expect(iou([0, 0, 0.5, 0.5], [0.5, 0, 1, 0.5])).toBe(0);
  });
  it('computes intersection over union', () => {
    // two 0.5×0.5 boxes overlapping in a 0.25×0.5 strip: 0.125 / (0.25 + 0.25 - 0.125)
    expect(iou([0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5])).toBeCloseTo(1 / 3, 10);
  });
});

describe('nms', () => {
  const a = c(1, 0.9, [0.1, 0.1, 0.5, 0.5]);
  const aDup = c(1, 0.8, [0.12, 0.1, 0.52, 0.5]); // IoU with a ≈ 0.9
  const otherClassSamePlace = c(2, 0.85, [0.1, 0.1, 0.5, 0.5]);
  const far = c(1, 0.7, [0.6, 0.6, 0.9, 0.9]);

  it('keeps the best of overlapping boxes of one class, best first', () => {
    expect(nms([aDup, far, a])).toEqual([a, far]);
  });

  it('is per class by default: another class in the same place survives', () => {
    expect(nms([a, otherClassSamePlace, aDup])).toEqual([a, otherClassSamePlace]);
  });

  it('class-agnostic suppresses across classes', () => {
    expect(nms([a, otherClassSamePlace, far], { classAgnostic: true })).toEqual([a, far]);
  });

  it('respects the IoU threshold: a looser threshold keeps moderately overlapping boxes', () => {
    const half = c(1, 0.8, [0.25, 0.1, 0.65, 0.5]); // IoU with a = 0.25/0.55... ≈ 0.45
    expect(nms([a, half], { iouThreshold: 0.5 })).toHaveLength(2);
    expect(nms([a, half], { iouThreshold: 0.3 })).toEqual([a]);
  });

  it('caps the number of detections', () => {
    const many = Array.from({ length: 10 }, (_, i) => c(1, (50 + i) / 100, [i / 10, 0, i / 10 + 0.05, 0.05]));
    const kept = nms(many, { maxDetections: 3 });
    expect(kept.map((k) => k.score)).toEqual([0.59, 0.58, 0.57]);
  });

  it('does not modify its input', () => {
    const input = [aDup, a];
    nms(input);
    expect(input).toEqual([aDup, a]);
  });
});
