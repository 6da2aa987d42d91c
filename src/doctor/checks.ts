/** Every check `lookout doctor` runs, in the order it prints them. */
import type { LoadedConfig } from '../config';
import { brokerChecks } from './broker-check';
import { cameraChecks } from './camera-check';
import { diskCheck, stateDirCheck, thermalCheck, timeZoneCheck } from './host-checks';
import { modelChecks } from './model-check';
import type { Check } from './report';

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
