import { anchorPoint, applyFilters, filterOptionsErrors, pointInPolygon, type Polygon } from '../../../src/detect/filters';
import type { Box, Candidate } from '../../../src/detect/types';

const labels = { '1': 'person', '3': 'car', '18': 'dog' };
const c = (class_id: number, score: number, box: Box): Candidate => ({ class_id, score, box });

// The left half of the frame, and a triangle in the top-right corner.
const leftHalf: Polygon = [
  [0, 0],
  [0.5, 0],
  [0.5, 1],
  [0, 1],
];
const triangle: Polygon = [
  [0.6, 0],
  [1, 0],
  [1, 0.4],
];

describe('pointInPolygon', () => {
  it('tells inside from outside for convex and concave polygons', () => {
    expect(pointInPolygon([0.25, 0.5], leftHalf)).toBe(true);
    expect(pointInPolygon([0.75, 0.5], leftHalf)).toBe(false);
    expect(pointInPolygon([0.95, 0.1], triangle)).toBe(true);
    expect(pointInPolygon([0.65, 0.3], triangle)).toBe(false); // below the hypotenuse
    // an L shape: the notch at top-right is outside
    const L: Polygon = [
      [0, 0],
      [0.4, 0],
      [0.4, 0.6],
      [1, 0.6],
      [1, 1],
      [0, 1],
    ];
    expect(pointInPolygon([0.2, 0.2], L)).toBe(true);
    expect(pointInPolygon([0.8, 0.2], L)).toBe(false);
    expect(pointInPolygon([0.8, 0.8], L)).toBe(true);
  });
});

describe('anchorPoint', () => {
  it('is the bottom-centre or the centre of the box', () => {
    expect(anchorPoint([0.2, 0.2, 0.4, 0.8], 'bottom-centre')).toEqual([0.30000000000000004, 0.8]);
    expect(anchorPoint([0.2, 0.2, 0.4, 0.8], 'centre')[1]).toBeCloseTo(0.5);
  });
});

describe('applyFilters', () => {
  it('attaches labels and drops scores under the default 0.5', () => {
    const out = applyFilters([c(1, 0.9, [0, 0, 0.1, 0.1]), c(3, 0.49, [0, 0, 0.1, 0.1])], labels);
    expect(out).toEqual([{ label: 'person', class_id: 1, score: 0.9, box: [0, 0, 0.1, 0.1], zones: [] }]);
  });

  it('names classes missing from the labels class_<id>', () => {
    expect(applyFilters([c(77, 0.9, [0, 0, 0.1, 0.1])], labels)[0].label).toBe('class_77');
  });

  it('applies per-label minimum scores over the global one', () => {
    const cands = [c(1, 0.6, [0, 0, 0.1, 0.1]), c(3, 0.6, [0, 0, 0.1, 0.1]), c(18, 0.35, [0, 0, 0.1, 0.1])];
    const out = applyFilters(cands, labels, { minScore: 0.5, minScoreByLabel: { person: 0.7, dog: 0.3 } });
    expect(out.map((d) => d.label)).toEqual(['car', 'dog']);
  });

  it('applies allow and deny lists, deny winning', () => {
    const cands = [c(1, 0.9, [0, 0, 0.1, 0.1]), c(3, 0.9, [0, 0, 0.1, 0.1]), c(18, 0.9, [0, 0, 0.1, 0.1])];
    expect(applyFilters(cands, labels, { labels: ['person', 'dog'] }).map((d) => d.label)).toEqual(['person', 'dog']);
    expect(applyFilters(cands, labels, { excludeLabels: ['car'] }).map((d) => d.label)).toEqual(['person', 'dog']);
    expect(applyFilters(cands, labels, { labels: ['person', 'dog'], excludeLabels: ['dog'] }).map((d) => d.label)).toEqual(['person']);
  });

  it('applies min and max box area as fractions of the frame', () => {
    const tiny = c(1, 0.9, [0, 0, 0.05, 0.05]); // 0.0025
    const mid = c(1, 0.9, [0, 0, 0.5, 0.5]); // 0.25
    const huge = c(1, 0.9, [0, 0, 1, 0.95]); // 0.95
    expect(applyFilters([tiny, mid, huge], labels, { minArea: 0.01, maxArea: 0.9 }).map((d) => d.box)).toEqual([mid.box]);
  });

  it('include zones: by bottom-centre, a detection outside all of them is dropped and names list its zones', () => {
    // Box spans both halves horizontally but its bottom-centre (0.3, 0.9) is in the left half.
    const standingLeft = c(1, 0.9, [0.1, 0.2, 0.5, 0.9]);
    const right = c(1, 0.9, [0.6, 0.5, 0.9, 0.9]);
    const zones = [
      { name: 'left', points: leftHalf },
      {
        name: 'lower',
        points: [
          [0, 0.5],
          [1, 0.5],
          [1, 1],
          [0, 1],
        ] as Polygon,
      },
    ];
    const out = applyFilters([standingLeft, right], labels, { zones });
    expect(out.map((d) => d.zones)).toEqual([['left', 'lower'], ['lower']]);
    const onlyLeft = applyFilters([standingLeft, right], labels, { zones: [zones[0]] });
    expect(onlyLeft.map((d) => d.box)).toEqual([standingLeft.box]);
  });

  it('bottom-centre and centre anchors decide differently for a box whose head is in the zone', () => {
    const upper: Polygon = [
      [0, 0],
      [1, 0],
      [1, 0.5],
      [0, 0.5],
    ];
    const person = c(1, 0.9, [0.4, 0.1, 0.6, 0.8]); // centre y 0.45, bottom 0.8
    expect(applyFilters([person], labels, { zones: [{ name: 'upper', points: upper }] })).toEqual([]);
    expect(applyFilters([person], labels, { zones: [{ name: 'upper', points: upper }], anchor: 'centre' })[0].zones).toEqual(['upper']);
    expect(applyFilters([person], labels, { zones: [{ name: 'upper', points: upper, anchor: 'centre' }] })[0].zones).toEqual(['upper']);
  });

  it('exclude zones and masks drop detections anchored inside them', () => {
    const inTriangle = c(1, 0.9, [0.85, 0.0, 0.99, 0.2]); // bottom-centre (0.92, 0.2)
    const elsewhere = c(1, 0.9, [0.1, 0.1, 0.3, 0.3]);
    expect(applyFilters([inTriangle, elsewhere], labels, { masks: [triangle] }).map((d) => d.box)).toEqual([elsewhere.box]);
    const out = applyFilters([inTriangle, elsewhere], labels, {
      zones: [{ name: 'tree', points: triangle, mode: 'exclude' }],
    });
    expect(out).toEqual([{ label: 'person', class_id: 1, score: 0.9, box: elsewhere.box, zones: [] }]);
  });
});

describe('filterOptionsErrors', () => {
  it('names each bad field', () => {
    const errs = filterOptionsErrors({
      minScore: 1.5,
      minScoreByLabel: { person: -1 },
      minArea: 0.5,
      maxArea: 0.2,
      zones: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 1],
          ],
        },
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 0],
            [2, 1],
          ],
        },
      ],
      masks: [[[0, 0]]],
    });
    expect(errs).toEqual([
      'minScore: must be between 0 and 1 (got 1.5)',
      'minScoreByLabel.person: must be between 0 and 1 (got -1)',
      'minArea: 0.5 is above maxArea 0.2',
      'zones.a.points: a polygon needs at least 3 points',
      'zones.1.name: "a" is used twice',
      'zones.a.points: points must be [x, y] pairs with values in 0..1',
      'masks.0: a polygon needs at least 3 points',
    ]);
    expect(filterOptionsErrors({ minScore: 0.4, zones: [{ name: 'x', points: leftHalf }] })).toEqual([]);
  });
});
