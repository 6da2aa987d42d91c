/** Exit status for a configuration error (sysexits EX_CONFIG); systemd's RestartPreventExitStatus=78. */
export const EX_CONFIG = 78;

/** Every problem found in one configuration, each as `key.path: reason` (or `file: reason`). */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly file?: string,
  ) {
    super(`invalid configuration${file ? ` in ${file}` : ''}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}
