/**
 * What every command module shares: the exit statuses, the config options that `run`, `doctor` and
 * `config print` take alike, and how a refused config is reported. Each module in src/commands
 * registers one command on the program and keeps its heavy imports (OpenCV, ONNX Runtime, the daemon)
 * inside the action, so `lookout --help` loads none of them.
 */
import { type Command, Option } from 'commander';
import { type ConfigError, EX_CONFIG } from '../config/errors';
import { LOG_LEVELS, type LogLevel } from '../log';

/** Exit statuses (sysexits) that scripts and systemd can rely on. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 64, DATA: 65, NO_INPUT: 66, UNAVAILABLE: 69, SOFTWARE: 70, CONFIG: EX_CONFIG } as const;

/** How a command's action hands its exit status back to main(). */
export interface CommandContext {
  setExitCode(code: number): void;
}

/** A repeatable option's values in order. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** What `withConfigOptions` adds to a command's options. */
export interface ConfigOptions {
  config?: string;
  set: string[];
  logLevel?: LogLevel;
}

export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (YAML or JSON); default: $LOOKOUT_CONFIG, else /etc/lookout/config.yaml when it exists, else embedded defaults')
    .option('-s, --set <key=value>', 'override one config key, e.g. --set objects.min_score=0.7 (repeatable)', collect, [] as string[])
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS));
}

/** Every problem on its own line on stderr; the status systemd and scripts know as "bad config". */
export function reportConfigError(err: ConfigError): number {
  process.stderr.write(`${err.problems.join('\n')}\n`);
  return EXIT.CONFIG;
}
