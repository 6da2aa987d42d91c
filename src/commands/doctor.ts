/**
 * `lookout doctor`: everything that stands between an install and a working detector, checked one
 * line at a time with the fix. Meant to run as the service user against the installed config
 * (`sudo -u lookout lookout doctor`); exit 0 only when nothing failed.
 */
import type { Command } from 'commander';
import { loadConfig, ConfigError, type LoadedConfig } from '../config';
import { chooseConfigFile, describeConfigChoice, SERVICE_CONFIG_FILE } from '../config/config-file';
import type { DoctorOptions } from '../doctor/checks';
import { doctorExitCode, fail, formatResult, ok, runChecks, summary } from '../doctor/report';
import { type CommandContext, type ConfigOptions, withConfigOptions } from './common';

/** StateDirectory=lookout in the unit. */
const SERVICE_STATE_DIR = '/var/lib/lookout';

export function registerDoctor(program: Command, ctx: CommandContext): void {
  withConfigOptions(
    program
      .command('doctor')
      .description(
        'Check what a working install needs (model, cameras, broker and Home Assistant, state dir, disk, temperature, time zone), one line each with the fix; exit 0 only when nothing failed. Run it as the service user: sudo -u lookout lookout doctor.',
      ),
  )
    .option('--no-cameras', 'skip opening the cameras (a V4L2 camera the running service holds may refuse a second reader)')
    .option('--camera-timeout <s>', "seconds to wait for a camera's first frame", (v) => parseFloat(v), 20)
    .action(async (opts: ConfigOptions & { cameras: boolean; cameraTimeout: number }) => {
      const choice = chooseConfigFile(opts.config);
      process.stdout.write(`${describeConfigChoice(choice)}\n`);
      ctx.setExitCode(
        await runDoctorCommand({
          ...(choice.file ? { configFile: choice.file } : {}),
          overrides: opts.set,
          skipCameras: !opts.cameras,
          cameraTimeoutMs: opts.cameraTimeout * 1000,
        }),
      );
    });
}

export async function runDoctorCommand(options: DoctorOptions, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let loaded: LoadedConfig;
  try {
    // Outside the service there is no $STATE_DIRECTORY: check the folder systemd gives the service.
    const env =
      options.configFile === SERVICE_CONFIG_FILE && !process.env.STATE_DIRECTORY ? { ...process.env, STATE_DIRECTORY: SERVICE_STATE_DIR } : process.env;
    loaded = loadConfig({ ...(options.configFile ? { file: options.configFile } : {}), overrides: options.overrides ?? [], env });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const r = fail('config', `${options.configFile ?? 'embedded defaults'}: ${e.problems.length} problem(s)`, e.problems.join('; '));
    write(formatResult(r));
    write(summary([r]));
    return doctorExitCode([r]);
  }
  const first = ok(
    'config',
    `${loaded.file ?? 'embedded defaults (no config file)'}: valid, ${loaded.config.cameras.length} camera(s), device id '${loaded.config.device.id}'`,
  );
  write(formatResult(first));
  // The checks open cameras and the broker: loaded only when the doctor runs.
  const { doctorChecks } = await import('../doctor/checks');
  const results = [first, ...(await runChecks(doctorChecks(loaded, options), (r) => write(formatResult(r))))];
  write(summary(results));
  return doctorExitCode(results);
}
