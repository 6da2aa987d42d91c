/**
 * The page's Save, on the config file, with src/config's own tools: the tuning edit (comments and key
 * order survive), the check `lookout config check` runs, and the atomic write that keeps a backup.
 */
import { checkConfigText, editCameraTuning, formatProblem, writeFileAtomic, type CameraTuning } from '../config';
import type { ConfigFileEditor } from '../http/tuning';

export const configFileEditor: ConfigFileEditor = {
  // The page's body was checked for its shape (parseTuning); the values are the loader's to judge.
  edit: (text, camera, tuning) => editCameraTuning(text, camera, tuning as CameraTuning),
  validate: (text, file) => checkConfigText(text, file).map(formatProblem),
  write: (file, text, backup) => writeFileAtomic(file, text, { backup }),
};
