/**
 * The page's Save, on the config file, with src/config's own tools: the tuning edit (comments and key
 * order survive), the check `lookout config check` runs, and the atomic write that keeps a backup.
 */
import { checkConfigText, editCameraTuning, formatProblem, writeFileAtomic, type CameraTuning } from '../config';
import type { ConfigFileEditor } from '../http/tuning';

/** What the running daemon read its config with besides the file. */
export interface RunningLoad {
  /** Its `--set key=value` overrides (LoadedConfig.overrides). */
  overrides(): string[];
}

export function configFileEditor(running: RunningLoad): ConfigFileEditor {
  return {
    // The page's body was checked for its shape (parseTuning); the values are the loader's to judge.
    edit: (text, camera, tuning) => editCameraTuning(text, camera, tuning as CameraTuning),
    // The edited file is checked as the daemon's reload will read it: with the daemon's overrides and
    // environment (process.env, checkConfigText's default). Without them a file that is valid only
    // with an override (sun-relative schedules with `--set schedule.latitude=…`) would refuse every save.
    validate: (text, file) => checkConfigText(text, file, { overrides: running.overrides() }).map(formatProblem),
    write: (file, text, backup) => writeFileAtomic(file, text, { backup }),
  };
}
