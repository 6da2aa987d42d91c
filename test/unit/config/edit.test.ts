import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { editCameraTuning, ConfigEditError } from '../../../src/config/edit';
import { starterConfig } from '../../../src/config/starter';

const EXAMPLE_FILE = path.join(__dirname, '..', '..', '..', 'config', 'lookout.example.yaml');
const example = fs.readFileSync(EXAMPLE_FILE, 'utf8');

type Camera = {
  name: string;
  zones?: unknown;
  masks?: unknown;
  objects?: { min_score?: number; min_scores?: unknown; track?: unknown };
  motion?: { masks?: unknown };
};
const cameraOf = (text: string, index = 0): Camera => (YAML.parse(text) as { cameras: Camera[] }).cameras[index];

/** Lines of `after` that are not in `before`, and the other way round: what a user's diff shows. */
function diff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

function editError(fn: () => unknown): ConfigEditError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigEditError) return e;
    throw e;
  }
  throw new Error('expected a ConfigEditError');
}

const yard = {
  name: 'yard',
  polygon: [
    [0.123456, 0.2],
    [0.9, 0.2],
    [0.9, 0.8],
  ] as [number, number][],
};

describe('editCameraTuning on the documented example file', () => {
  test('a new zone is added; every other line, comment and alignment stays byte for byte', () => {
    const current = cameraOf(example).zones as { name: string; polygon: [number, number][]; objects: string[] }[];
    const edited = editCameraTuning(example, 'driveway', { zones: [...current, yard] });
    expect(cameraOf(edited).zones).toEqual([
      ...current,
      {
        name: 'yard',
        polygon: [
          [0.1235, 0.2],
          [0.9, 0.2],
          [0.9, 0.8],
        ],
      },
    ]);
    // The example's own zone lines and their neighbours were not rewritten.
    expect(edited).toContain('  id: front-porch            # topic level and Home Assistant id');
    expect(edited).toContain('      type: v4l2                     # v4l2 | csi-pi');
    expect(edited).toContain('      - [[0.0, 0.0], [0.3, 0.0], [0.3, 0.1], [0.0, 0.1]]   # e.g. a timestamp overlay');
    expect(edited).toContain('  # - name: garden');
    expect(diff(example, edited)).toEqual({
      removed: [],
      added: ['      - name: yard', '        polygon: [[0.1235, 0.2], [0.9, 0.2], [0.9, 0.8]]'],
    });
  });

  test('a zone is replaced and removed; only the zones lines change', () => {
    const replaced = editCameraTuning(example, 'driveway', {
      zones: [
        {
          name: 'driveway',
          polygon: [
            [0, 0.5],
            [1, 0.5],
            [1, 1],
          ],
          objects: ['car'],
        },
      ],
    });
    expect(cameraOf(replaced).zones).toEqual([
      {
        name: 'driveway',
        polygon: [
          [0, 0.5],
          [1, 0.5],
          [1, 1],
        ],
        objects: ['car'],
      },
    ]);
    const changed = diff(example, replaced);
    expect(changed.removed).toEqual(['        polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]', '        objects: [person, car]']);
    expect(changed.added).toEqual(['        polygon: [[0, 0.5], [1, 0.5], [1, 1]]', '        objects: [car]']);

    const removed = editCameraTuning(example, 'driveway', { zones: [] });
    expect(cameraOf(removed).zones).toEqual([]);
    expect(diff(example, removed).added).toEqual(['    zones: []']);
    expect(removed).toContain('    masks:\n      - [[0.0, 0.0], [0.3, 0.0], [0.3, 0.1], [0.0, 0.1]]   # e.g. a timestamp overlay');
  });

  test('masks and per-label scores change in place; unchanged values keep their spelling', () => {
    const mask = [
      [0.5, 0],
      [1, 0],
      [1, 0.25],
    ] as [number, number][];
    const edited = editCameraTuning(example, 'driveway', {
      masks: [
        [
          [0, 0],
          [0.3, 0],
          [0.3, 0.1],
          [0, 0.1],
        ],
        mask,
      ],
      min_score: 0.55,
      min_scores: { person: 0.65, car: 0.7 },
    });
    const cam = cameraOf(edited);
    expect(cam.masks).toEqual([
      [
        [0, 0],
        [0.3, 0],
        [0.3, 0.1],
        [0, 0.1],
      ],
      mask,
    ]);
    expect(cam.objects).toMatchObject({ min_score: 0.55, min_scores: { person: 0.65, car: 0.7 }, track: ['person', 'car'] });
    // min_score was already 0.55: its line is untouched.
    expect(edited).toContain('      min_score: 0.55\n      min_scores: {person: 0.65, car: 0.7}\n      # required_zones: [driveway]');
  });

  test('motion masks go to the camera’s motion.masks: into its motion section, or a new one', () => {
    const withMotion =
      'cameras:\n  - name: a\n    source: {type: file, path: /x}\n    motion:\n      threshold: 25     # gray levels\n      masks:\n        - [[0.0, 0.0], [0.3, 0.0], [0.3, 0.1]]\n    snapshots: true\n';
    expect(
      editCameraTuning(withMotion, 'a', {
        motion_masks: [
          [
            [0, 0],
            [0.3, 0],
            [0.3, 0.1],
          ],
          [
            [0.5, 0.5],
            [1, 0.5],
            [1, 1],
          ],
        ],
      }),
    ).toBe(withMotion.replace('0.1]]\n', '0.1]]\n        - [[0.5, 0.5], [1, 0.5], [1, 1]]\n'));
    const without = 'cameras:\n  - name: a\n    source: {type: file, path: /x}\n\n# more cameras later\n';
    const edited = editCameraTuning(without, 'a', {
      motion_masks: [
        [
          [0, 0],
          [1, 0],
          [1, 0.1],
        ],
      ],
    });
    expect(cameraOf(edited).motion).toEqual({
      masks: [
        [
          [0, 0],
          [1, 0],
          [1, 0.1],
        ],
      ],
    });
    expect(diff(without, edited)).toEqual({ removed: [], added: ['    motion:', '      masks:', '        - [[0, 0], [1, 0], [1, 0.1]]'] });
  });

  test('the same tuning saved twice gives the same file', () => {
    const tuning = { zones: [yard], min_scores: { person: 0.6, dog: 0.4 }, motion_masks: [] };
    const once = editCameraTuning(example, 'driveway', tuning);
    expect(editCameraTuning(once, 'driveway', tuning)).toBe(once);
  });
});

describe('editCameraTuning on other layouts', () => {
  test('a flow-style camera gets new keys inside its braces', () => {
    const text = 'cameras: [{name: a, source: {type: file, path: /x}}, {name: b, source: {type: v4l2, device: 0}}]  # two\n';
    const edited = editCameraTuning(text, 'b', { zones: [yard], min_score: 0.4 });
    expect(cameraOf(edited, 1)).toEqual({
      name: 'b',
      source: { type: 'v4l2', device: 0 },
      zones: [
        {
          name: 'yard',
          polygon: [
            [0.1235, 0.2],
            [0.9, 0.2],
            [0.9, 0.8],
          ],
        },
      ],
      objects: { min_score: 0.4 },
    });
    expect(cameraOf(edited, 0)).toEqual({ name: 'a', source: { type: 'file', path: '/x' } });
    expect(edited.endsWith('  # two\n')).toBe(true);
  });

  test('a camera without objects gets an objects section after its last key', () => {
    const text = 'cameras:\n  - name: a\n    source: {type: file, path: /x}   # the demo\n\n# end\n';
    const edited = editCameraTuning(text, 'a', { min_score: 0.6, min_scores: { person: 0.7 } });
    expect(edited).toBe(
      'cameras:\n  - name: a\n    source: {type: file, path: /x}   # the demo\n    objects:\n      min_score: 0.6\n      min_scores: {person: 0.7}\n\n# end\n',
    );
  });

  test('a file without a final newline', () => {
    const edited = editCameraTuning('cameras:\n  - name: a\n    source: {type: file, path: /x}', 'a', { masks: [yard.polygon] });
    expect(cameraOf(edited).masks).toEqual([
      [
        [0.1235, 0.2],
        [0.9, 0.2],
        [0.9, 0.8],
      ],
    ]);
  });

  test('an empty section (`objects:` with nothing under it) gets the value, its comment kept', () => {
    const text = 'cameras:\n  - name: a\n    source: {type: file, path: /x}\n    objects:   # later\n    zones: []\n';
    expect(editCameraTuning(text, 'a', { min_score: 0.3 })).toBe(
      'cameras:\n  - name: a\n    source: {type: file, path: /x}\n    objects: {min_score: 0.3}   # later\n    zones: []\n',
    );
  });

  test('removing one of two zones keeps the other zone’s own lines', () => {
    const text =
      'cameras:\n- name: a\n  source: {type: file, path: /x}\n  zones:\n  - name: z\n    polygon: [[0,0],[1,0],[1,1]]\n' +
      '  - name: y   # the gate\n    polygon: [[0.0,0],[1,0],[1,1]]\n  masks: [[[0,0],[1,0],[1,1]]]\n';
    expect(
      editCameraTuning(text, 'a', {
        zones: [
          {
            name: 'y',
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
        ],
        masks: [],
      }),
    ).toBe('cameras:\n- name: a\n  source: {type: file, path: /x}\n  zones:\n  - name: y   # the gate\n    polygon: [[0.0,0],[1,0],[1,1]]\n  masks: []\n');
  });

  test('a file with CRLF line ends keeps them', () => {
    const text = 'cameras:\r\n  - name: a\r\n    source: {type: file, path: /x}\r\n';
    expect(
      editCameraTuning(text, 'a', {
        masks: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
        ],
      }),
    ).toBe('cameras:\r\n  - name: a\r\n    source: {type: file, path: /x}\r\n    masks:\r\n      - [[0, 0], [1, 0], [1, 1]]\r\n');
  });

  test('labels that YAML would read as something else are quoted', () => {
    const edited = editCameraTuning('cameras:\n  - name: a\n    source: {type: file, path: /x}\n', 'a', { min_scores: { true: 0.5, 'traffic light': 0.3 } });
    expect(cameraOf(edited).objects?.min_scores).toEqual({ true: 0.5, 'traffic light': 0.3 });
  });
});

describe('editCameraTuning refuses what it cannot edit, naming why', () => {
  test('a camera that is not in the file', () => {
    const e = editError(() => editCameraTuning(example, 'garden', { min_score: 0.5 }));
    expect(e.message).toBe("cameras: no camera named 'garden' in the config file");
  });

  test('a file without cameras: zero-setup, or the starter written without a camera', () => {
    expect(editError(() => editCameraTuning('log: {level: debug}\n', 'a', { min_score: 0.5 })).message).toMatch(
      /^cameras: the config file has no `cameras` list/,
    );
    expect(editError(() => editCameraTuning('', 'a', { min_score: 0.5 })).message).toMatch(/no `cameras` list/);
    const starter = starterConfig({ sysfs: '/nonexistent', devDir: '/nonexistent', board: null });
    expect(starter.hasCamera).toBe(false);
    expect(editError(() => editCameraTuning(starter.yaml, 'camera1', { min_score: 0.5 })).message).toBe(
      "cameras: no camera named 'camera1' in the config file",
    );
  });

  test('anchors and aliases on what would change', () => {
    const anchored = 'shared: &z [{name: yard, polygon: [[0,0],[1,0],[1,1]]}]\ncameras:\n  - name: a\n    source: {type: file, path: /x}\n    zones: *z\n';
    const e = editError(() => editCameraTuning(anchored, 'a', { zones: [yard] }));
    expect(e.path).toBe('cameras[0].zones');
    expect(e.message).toMatch(/alias/);
    const camAnchor = 'cameras:\n  - &cam\n    name: a\n    source: {type: file, path: /x}\n';
    expect(editError(() => editCameraTuning(camAnchor, 'a', { min_score: 0.5 })).message).toMatch(/^cameras\[0\]: carries the YAML anchor &cam/);
    // An anchor elsewhere in the file is fine.
    const elsewhere = 'x: &n 1\ncameras:\n  - name: a\n    source: {type: file, path: /x}\n';
    expect(cameraOf(editCameraTuning(elsewhere, 'a', { min_score: 0.5 })).objects).toEqual({ min_score: 0.5 });
  });

  test('a file that is not YAML', () => {
    expect(editError(() => editCameraTuning('cameras: [\n', 'a', { min_score: 0.5 })).message).toMatch(/^the config file is not valid YAML: /);
  });
});
