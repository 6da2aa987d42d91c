/**
 * `lookout detect` as a user runs it, through runDetectCommand with the real model: JSON lines,
 * human lines, annotated JPEGs, a video, and bad inputs reported by name without stopping the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCv } from '../../../src/cv';
import { runDetectCommand, type DetectLine } from '../../../src/commands/detect';

const ROOT = path.join(__dirname, '..', '..', '..');
const data = (n: string) => path.join(ROOT, '.cache', 'testdata', n);

describe('lookout detect', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-detect-cmd-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function run(inputs: string[], extra: Record<string, unknown> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const status = await runDetectCommand({ inputs, out: (l) => out.push(l), err: (l) => err.push(l), threads: 2, ...extra });
    return { status, out, err };
  }

  it('prints one JSON line per image of a folder, reports a broken file by name, continues and exits non-zero', async () => {
    const folder = path.join(tmp, 'photos');
    fs.mkdirSync(folder);
    fs.copyFileSync(data('messi5.jpg'), path.join(folder, 'a-messi.jpg'));
    fs.copyFileSync(data('fruits.jpg'), path.join(folder, 'c-fruits.jpg'));
    fs.writeFileSync(path.join(folder, 'b-broken.jpg'), 'this is not a JPEG');
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'ignored: not an image extension');
    const annotated = path.join(tmp, 'annotated');
    const r = await run([folder, path.join(tmp, 'missing.png')], { json: true, annotate: annotated });
    expect(r.status).not.toBe(0);
    expect(r.err).toEqual([
      expect.stringContaining(`${path.join(tmp, 'missing.png')}: cannot read: ENOENT`),
      `lookout detect: ${path.join(folder, 'b-broken.jpg')}: not an image OpenCV can decode`,
    ]);
    const lines = r.out.map((l) => JSON.parse(l) as DetectLine);
    expect(lines.map((l) => path.basename(l.file))).toEqual(['a-messi.jpg', 'c-fruits.jpg']);
    expect(lines[0]).toMatchObject({ frame: 0, width: 548, height: 342 });
    expect(lines[0].detections.map((d) => d.label)).toEqual(expect.arrayContaining(['person', 'sports ball']));
    expect(lines[1].detections.map((d) => d.label)).toContain('orange');
    expect(lines[0].timing.inference_ms).toBeGreaterThan(0);
    // annotated copies: real JPEGs of the original size, different from the originals where boxes are drawn
    const cv = loadCv();
    const ann = cv.imread(path.join(annotated, 'a-messi.jpg'));
    expect([ann.cols, ann.rows]).toEqual([548, 342]);
    const person = lines[0].detections.find((d) => d.label === 'person')!;
    const edge = [Math.round(person.box[0] * 548), Math.round(((person.box[1] + person.box[3]) / 2) * 342)];
    const orig = cv.imread(data('messi5.jpg'));
    const diff = ann.at(edge[1], edge[0]) as unknown as { x: number; y: number; z: number };
    const base = orig.at(edge[1], edge[0]) as unknown as { x: number; y: number; z: number };
    expect([diff.x, diff.y, diff.z]).not.toEqual([base.x, base.y, base.z]);
    expect(fs.existsSync(path.join(annotated, 'c-fruits.jpg'))).toBe(true);
  });

  it('prints readable lines without --json and honours --min-score', async () => {
    const r = await run([data('fruits.jpg')], { minScore: 0.9 });
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(/fruits\.jpg \(\d+×\d+\): orange 0\.9\d \[/);
    expect(r.out[0].match(/orange/g)).toHaveLength(1); // the weaker second orange (0.57) is under 0.9
  });

  it('runs over a video, every n-th frame', async () => {
    const r = await run([data('vtest.avi')], { json: true, every: 300 });
    expect(r.status).toBe(0);
    const lines = r.out.map((l) => JSON.parse(l) as DetectLine);
    expect(lines.map((l) => l.frame)).toEqual([1, 301, 601]);
    expect(lines.every((l) => l.width === 768 && l.height === 576)).toBe(true);
    expect(lines.some((l) => l.detections.some((d) => d.label === 'person'))).toBe(true);
  });

  it('a missing model says how to build it', async () => {
    const models = path.join(tmp, 'models');
    fs.mkdirSync(models);
    fs.copyFileSync(path.join(ROOT, 'models', 'ssdlite_mobilenet_v2_coco.json'), path.join(models, 'ssdlite_mobilenet_v2_coco.json'));
    const r = await run([data('fruits.jpg')], { modelsDir: models });
    expect(r.status).toBe(66);
    expect(r.err.join('\n')).toContain('lookout model build ssdlite_mobilenet_v2_coco');
  });
});
