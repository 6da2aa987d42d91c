/**
 * `lookout doctor`: everything that stands between an install and a working detector, checked one
 * line at a time with the fix. Meant to run as the service user against the installed config
 * (`sudo -u lookout lookout doctor`); exit 0 only when nothing failed.
 */
import { loadConfig, ConfigError, type LoadedConfig } from '../config';
import { SERVICE_CONFIG_FILE } from '../config/config-file';
import { brokerChecks } from './broker-check';
import { cameraChecks } from './camera-check';
import { diskCheck, stateDirCheck, thermalCheck, timeZoneCheck } from './host-checks';
import { modelChecks } from './model-check';
import { doctorExitCode, fail, formatResult, ok, runChecks, summary, type Check } from './report';

/** StateDirectory=lookout in the unit. */
const SERVICE_STATE_DIR = '/var/lib/lookout';

export interface DoctorOptions {
  configFile?: string;
  overrides?: string[];
  /** Per-camera limit for the first frame, ms. */
  cameraTimeoutMs?: number;
  /** How long to listen for Home Assistant on the broker, ms. */
  listenMs?: number;
  /** Skip the cameras (e.g. while the service holds a V4L2 device that allows one reader). */
  skipCameras?: boolean;
}

export function doctorChecks(loaded: LoadedConfig, options: DoctorOptions = {}): Check[] {
  const config = loaded.config;
  return [
    ...modelChecks(config),
    ...(options.skipCameras ? [] : cameraChecks(config, options.cameraTimeoutMs)),
    ...brokerChecks(config, options.listenMs === undefined ? {} : { listenMs: options.listenMs }),
    stateDirCheck(config),
    diskCheck(config),
    thermalCheck(),
    timeZoneCheck(config),
  ];
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
  const results = [first, ...(await runChecks(doctorChecks(loaded, options), (r) => write(formatResult(r))))];
  write(summary(results));
  return doctorExitCode(results);
}
