/**
 * `lookout config check|print|starter`: validate a config file, print the effective configuration
 * with secrets redacted, and write a short starting config for this machine (what install.sh uses).
 */
import type { Command } from 'commander';
import YAML from 'yaml';
import { ConfigError, loadConfig, redactConfig } from '../config';
import { chooseConfigFile, describeConfigChoice } from '../config/config-file';
import { collect, type CommandContext, type ConfigOptions, reportConfigError, withConfigOptions } from './common';

export function registerConfig(program: Command, ctx: CommandContext): void {
  const config = program.command('config').description('Check or print configuration.');
  config
    .command('check')
    .description('Validate a config file: exit 0 when valid, else print every problem as key.path: reason and exit 78.')
    .argument('[file]', 'config file (default: $LOOKOUT_CONFIG, else /etc/lookout/config.yaml when it exists)')
    .option('-c, --config <file>', 'the same as [file], as `config print` takes it')
    .option('-s, --set <key=value>', 'override one key (repeatable)', collect, [] as string[])
    .action((file: string | undefined, opts: { set: string[]; config?: string }) => {
      ctx.setExitCode(checkConfig(file ?? opts.config, opts.set));
    });
  config
    .command('starter')
    .description(
      'Print a short starting config for this machine: its camera (or --camera), the broker (--mqtt-url), no schedule. scripts/install.sh writes it when there is no config yet.',
    )
    .option('--camera <source>', '/dev/videoN, a /dev/v4l/by-id link, csi-pi, csi-jetson, rtsp://... or a video file')
    .option('--mqtt-url <url>', 'broker URL (default mqtt://127.0.0.1:1883)')
    .option('--mqtt-user <name>', 'MQTT user name (the password goes into the systemd credential, not here)')
    .option('--device-id <id>', 'device id (default: the hostname)')
    .action(async (opts: { camera?: string; mqttUrl?: string; mqttUser?: string; deviceId?: string }) => {
      const { starterConfig } = await import('../config/starter');
      const starter = starterConfig(opts);
      process.stdout.write(starter.yaml);
      process.stderr.write(`camera: ${starter.camera}\n`);
    });
  withConfigOptions(config.command('print').description('Print the effective configuration (file + environment + overrides), secrets redacted.'))
    .argument('[file]', 'the same as --config, as `config check` takes it')
    .option('--json', 'print JSON instead of YAML')
    .action((file: string | undefined, opts: ConfigOptions & { json?: boolean }) => {
      ctx.setExitCode(printConfig(file ?? opts.config, opts.set, !!opts.json));
    });
}

function checkConfig(named: string | undefined, overrides: string[]): number {
  const choice = chooseConfigFile(named);
  // Say which file was read when the user did not name one (a device reads the service's file).
  if (choice.source !== 'argument') process.stderr.write(`${describeConfigChoice(choice)}\n`);
  try {
    const loaded = loadConfig({ file: choice.file, overrides });
    process.stdout.write(`${loaded.file ?? 'embedded defaults'}: OK (${loaded.config.cameras.length} camera(s))\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return reportConfigError(e);
    throw e;
  }
}

function printConfig(named: string | undefined, overrides: string[], json: boolean): number {
  const choice = chooseConfigFile(named);
  if (choice.source !== 'argument') process.stderr.write(`${describeConfigChoice(choice)}\n`);
  try {
    const loaded = loadConfig({ file: choice.file, overrides });
    const safe = redactConfig(loaded.config);
    process.stdout.write(json ? `${JSON.stringify(safe, null, 2)}\n` : YAML.stringify(safe));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return reportConfigError(e);
    throw e;
  }
}
