import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpProblem } from '../../../src/http/body';
import { parseTuning, TuningSaver, type ConfigFileEditor, type ReloadResult } from '../../../src/http/tuning';

const OK: ReloadResult = { ok: true, problems: [], restartNeeded: [], changed: true };

function setup(options: { problems?: string[]; reload?: ReloadResult; file?: boolean } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-tuning-'));
  const file = path.join(dir, 'lookout.yaml');
  fs.writeFileSync(file, 'cameras: [] # before\n');
  const writes: { text: string; backup: boolean }[] = [];
  const editor: ConfigFileEditor = {
    edit: (text, camera, tuning) => {
      if (camera !== 'front') throw new Error(`no camera named '${camera}' in the config file`);
      return `${text}# ${JSON.stringify(tuning)}\n`;
    },
    validate: () => options.problems ?? [],
    write: (f, text, backup) => {
      writes.push({ text, backup });
      fs.writeFileSync(f, text);
      return backup ? { backup: `${f}.bak` } : {};
    },
  };
  const reloads: string[] = [];
  const saver = new TuningSaver({
    editor,
    file: () => (options.file === false ? undefined : file),
    reload: async (trigger) => {
      reloads.push(trigger);
      return options.reload ?? OK;
    },
  });
  return { saver, file, writes, reloads, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function problemOf(p: Promise<unknown>): Promise<{ status: number; problems: string[] }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HttpProblem) return { status: e.status, problems: e.problems };
    throw e;
  }
  throw new Error('expected the save to be refused');
}

describe('Save from the page', () => {
  test('the body is the known tuning keys only', () => {
    expect(parseTuning({ zones: [], min_score: 0.5 })).toEqual({ zones: [], min_score: 0.5 });
    expect(() => parseTuning([])).toThrow(HttpProblem);
    try {
      parseTuning({ zones: 'x', source: {}, min_score: 'high' });
    } catch (e) {
      expect((e as HttpProblem).problems).toEqual(['source: not something the page can change', 'zones: must be a list', 'min_score: must be a number']);
    }
  });

  test('edited, checked, written with a backup, reloaded', async () => {
    const t = setup();
    const result = await t.saver.save('front', { min_score: 0.6 });
    expect(result).toEqual({ ok: true, file: t.file, backup: `${t.file}.bak`, changed: true, restart_needed: [] });
    expect(fs.readFileSync(t.file, 'utf8')).toBe('cameras: [] # before\n# {"min_score":0.6}\n');
    expect(t.writes.map((w) => w.backup)).toEqual([true]);
    expect(t.reloads).toEqual(['page save']);
    t.cleanup();
  });

  test('a text the loader refuses is answered with every problem and nothing is written or reloaded', async () => {
    const t = setup({ problems: ['cameras[0].zones[0].polygon: must NOT have fewer than 3 items', 'cameras[0].objects.min_score: must be <= 1'] });
    expect(await problemOf(t.saver.save('front', { zones: [] }))).toEqual({
      status: 422,
      problems: ['cameras[0].zones[0].polygon: must NOT have fewer than 3 items', 'cameras[0].objects.min_score: must be <= 1'],
    });
    expect(t.writes).toEqual([]);
    expect(t.reloads).toEqual([]);
    t.cleanup();
  });

  test('a reload that refuses puts the previous file back (without a backup of the refused one)', async () => {
    const t = setup({ reload: { ok: false, problems: ['model ssd_x: not found'], restartNeeded: [], changed: false } });
    expect(await problemOf(t.saver.save('front', { min_score: 0.7 }))).toEqual({ status: 422, problems: ['model ssd_x: not found'] });
    expect(fs.readFileSync(t.file, 'utf8')).toBe('cameras: [] # before\n');
    expect(t.writes.map((w) => w.backup)).toEqual([true, false]);
    t.cleanup();
  });

  test("an unknown camera is a 400 with the editor's words; no config file is a 409", async () => {
    const t = setup();
    expect(await problemOf(t.saver.save('back', {}))).toEqual({ status: 400, problems: ["no camera named 'back' in the config file"] });
    t.cleanup();
    const none = setup({ file: false });
    expect((await problemOf(none.saver.save('front', {}))).status).toBe(409);
    none.cleanup();
  });

  test('two saves at once run one after the other', async () => {
    const t = setup();
    await Promise.all([t.saver.save('front', { min_score: 0.6 }), t.saver.save('front', { min_score: 0.7 })]);
    expect(fs.readFileSync(t.file, 'utf8')).toBe('cameras: [] # before\n# {"min_score":0.6}\n# {"min_score":0.7}\n');
    t.cleanup();
  });
});
