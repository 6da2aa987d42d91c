/**
 * Which config file a command reads when none is named: the installed service's file when it exists,
 * so `lookout config check`, `config print`, `doctor` and `run` on a device all look at what the
 * service runs, and embedded defaults on a development clone.
 */
import fs from 'node:fs';

export const SERVICE_CONFIG_FILE = '/etc/lookout/config.yaml';

export interface ConfigFileChoice {
  file?: string;
  /** Where the choice came from, for the "reading …" line. */
  source: 'argument' | 'LOOKOUT_CONFIG' | 'installed service' | 'none';
}

export function chooseConfigFile(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = fs.existsSync,
): ConfigFileChoice {
  if (explicit) return { file: explicit, source: 'argument' };
  // LOOKOUT_CONFIG set but empty means "no file" (embedded defaults) even where a service is installed.
  if (env.LOOKOUT_CONFIG !== undefined) return env.LOOKOUT_CONFIG ? { file: env.LOOKOUT_CONFIG, source: 'LOOKOUT_CONFIG' } : { source: 'none' };
  if (exists(SERVICE_CONFIG_FILE)) return { file: SERVICE_CONFIG_FILE, source: 'installed service' };
  return { source: 'none' };
}

export function describeConfigChoice(choice: ConfigFileChoice): string {
  switch (choice.source) {
    case 'argument':
      return `config: ${choice.file}`;
    case 'LOOKOUT_CONFIG':
      return `config: ${choice.file} (from $LOOKOUT_CONFIG)`;
    case 'installed service':
      return `config: ${choice.file} (the installed service's; name another with --config)`;
    case 'none':
      return 'config: none (embedded defaults; name one with --config)';
  }
}
