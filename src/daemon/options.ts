/**
 * What the Daemon is built from: the loaded config and logger, and the outside world as interfaces
 * with the real implementations as defaults (deps.ts), so tests can pass doubles.
 */
import type { LoadedConfig } from '../config';
import type { Logger } from '../log';
import type { CaptureFactory } from '../pipeline/camera-runtime';
import type { DaemonLink } from './deps';
import type { DetectorLoader } from './model-pool';
import type { ServiceNotifier } from './service';

export interface DaemonOptions {
  loaded: LoadedConfig;
  logger: Logger;
  /** Reads the config again (SIGHUP, MQTT reload); throws ConfigError when the new one is bad. */
  reloadConfig?: () => LoadedConfig;
  /** Broker URL chosen at startup (zero-setup may pick the embedded broker); default mqtt.url. */
  mqttUrl?: string;
  /** 4 for the embedded broker (MQTT 3.1.1 only); default mqtt.protocol_version. */
  protocolVersion?: 4 | 5;
  notifier?: ServiceNotifier;
  /** The MQTT link; default the real one (MqttLink) built from the config. Tests pass a double. */
  link?: DaemonLink;
  /** Loads one model; default Detector.load (ONNX Runtime in a worker). */
  loadDetector?: DetectorLoader;
  /** Opens one camera's capture; default a capture child process (CameraCapture). */
  openCapture?: CaptureFactory;
  /** Epoch ms for published times (status `since`, config `applied_at`); default Date.now. */
  now?: () => number;
}
