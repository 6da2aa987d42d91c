/**
 * Save from the page: the camera's zones, masks and thresholds go into the config file the daemon
 * runs, and the daemon reloads it through the same validated path as SIGHUP. In order: edit the text
 * (comments and key order of the rest survive), validate it with the loader `lookout config check`
 * uses (problems: nothing is written), write it atomically keeping a backup, reload; a reload that
 * refuses puts the previous file back. Saves run one at a time.
 */
import fs from 'node:fs';
import { HttpProblem } from './body';
import { errorMessage } from '../util/errors';

/** What the page may change of one camera; keys left out stay as they are in the file. */
export interface CameraTuning {
  zones?: unknown[];
  masks?: unknown[];
  min_score?: number;
  min_scores?: Record<string, number>;
  motion_masks?: unknown[];
}

/** The config file editing the daemon wires in (src/config's edit functions). */
export interface ConfigFileEditor {
  /** The file's text with the camera's tuning replaced; throws when the camera is not in it. */
  edit(yamlText: string, camera: string, tuning: CameraTuning): string;
  /** Every problem the loader finds in `yamlText` read as `file`; none: it would load. */
  validate(yamlText: string, file: string): string[];
  /** Replaces `file` with `text` atomically; with `backup`, the previous content is kept beside it (its path returned). */
  write(file: string, text: string, backup: boolean): { backup?: string };
}

export interface ReloadResult {
  ok: boolean;
  problems: string[];
  restartNeeded: string[];
  changed: boolean;
}

export interface TuningSaverOptions {
  editor: ConfigFileEditor;
  /** The file the daemon runs; undefined when it runs without one (zero-setup). */
  file(): string | undefined;
  reload(trigger: string): Promise<ReloadResult>;
}

export interface SaveResult {
  ok: true;
  file: string;
  /** Where the previous file was kept. */
  backup: string | null;
  changed: boolean;
  restart_needed: string[];
}

const KEYS = new Set(['zones', 'masks', 'min_score', 'min_scores', 'motion_masks']);

/** The body's shape (values are the validator's to judge): an object of the known keys. */
export function parseTuning(body: unknown): CameraTuning {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpProblem(400, ['the body must be an object of zones, masks, min_score, min_scores']);
  const problems: string[] = [];
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!KEYS.has(key)) problems.push(`${key}: not something the page can change`);
  for (const key of ['zones', 'masks', 'motion_masks']) if (key in b && !Array.isArray(b[key])) problems.push(`${key}: must be a list`);
  if ('min_score' in b && typeof b.min_score !== 'number') problems.push('min_score: must be a number');
  if ('min_scores' in b && (b.min_scores === null || typeof b.min_scores !== 'object' || Array.isArray(b.min_scores)))
    problems.push('min_scores: must be a map of label: score');
  if (problems.length > 0) throw new HttpProblem(400, problems);
  return b;
}

export class TuningSaver {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: TuningSaverOptions) {}

  save(camera: string, tuning: CameraTuning): Promise<SaveResult> {
    const run = this.queue.then(() => this.run(camera, tuning));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(camera: string, tuning: CameraTuning): Promise<SaveResult> {
    const file = this.o.file();
    if (!file) throw new HttpProblem(409, ['the daemon runs without a config file (embedded defaults): there is no file to save into; start it with --config']);
    let before: string;
    try {
      before = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new HttpProblem(500, [`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`]);
    }
    let after: string;
    try {
      after = this.o.editor.edit(before, camera, tuning);
    } catch (e) {
      throw new HttpProblem(400, [errorMessage(e)]);
    }
    const problems = this.o.editor.validate(after, file);
    if (problems.length > 0) throw new HttpProblem(422, problems);
    let backup: string | undefined;
    try {
      ({ backup } = this.o.editor.write(file, after, true));
    } catch (e) {
      // Typically a service whose config folder is read-only to it (the ReadOnlyPaths= opt-out, docs/service.md).
      throw new HttpProblem(500, [`${errorMessage(e)}; nothing was changed (Copy YAML shows the snippet to paste by hand)`]);
    }
    const outcome = await this.o.reload('page save');
    if (!outcome.ok) {
      // The backup stays the file as it was: the refused text is not worth keeping.
      this.o.editor.write(file, before, false);
      throw new HttpProblem(422, outcome.problems);
    }
    return { ok: true, file, backup: backup ?? null, changed: outcome.changed, restart_needed: outcome.restartNeeded };
  }
}
