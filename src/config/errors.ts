/** Exit status for a configuration error (sysexits EX_CONFIG); systemd's RestartPreventExitStatus=78. */
export const EX_CONFIG = 78;

/** One problem in a configuration: where (`cameras[0].zones[1].polygon`, or the file) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export const formatProblem = (p: ConfigProblem): string => (p.path ? `${p.path}: ${p.message}` : p.message);

/**
 * A `key.path: reason` line from code that reports problems as lines (schedules, --set): the
 * convention every problem line of this project follows, read back into its parts.
 */
export function problemFromLine(line: string): ConfigProblem {
  const colon = line.indexOf(': ');
  return colon > 0 ? { path: line.slice(0, colon), message: line.slice(colon + 2) } : { path: '', message: line };
}

/** Every problem found in one configuration, each as `key.path: reason` (or `file: reason`). */
export class ConfigError extends Error {
  /** The same problems with their key paths apart, for a page or API that points at the key. */
  readonly details: ConfigProblem[];
  /** The problems as lines, `key.path: reason`. */
  readonly problems: string[];

  constructor(
    problems: readonly (ConfigProblem | string)[],
    readonly file?: string,
  ) {
    const details = problems.map((p) => (typeof p === 'string' ? problemFromLine(p) : p));
    const lines = details.map(formatProblem);
    super(`invalid configuration${file ? ` in ${file}` : ''}:\n  ${lines.join('\n  ')}`);
    this.name = 'ConfigError';
    this.details = details;
    this.problems = lines;
  }
}
