/**
 * The daemon's outside world, as interfaces, with the real implementations as defaults: the MQTT
 * link, the model loader, the capture factory. Unit tests hand the daemon doubles of these
 * (test/unit/daemon/doubles.ts); integration tests and users get the real ones.
 */
import type { LookoutConfig } from '../config';
import { setCvThreadsOnLoad } from '../cv';
import { Detector } from '../detect';
import type { Logger } from '../log';
import { MqttLink } from '../mqtt';
import { linkOptions } from '../mqtt/link-config';
import { version } from '../version';
import type { FrameLink } from './frame-publisher';
import type { DetectorLoader } from './model-pool';

/** The MQTT link's calls the daemon and its parts make. */
export type DaemonLink = FrameLink &
  Pick<
    MqttLink,
    | 'start'
    | 'stop'
    | 'topics'
    | 'onCommand'
    | 'setDiscovery'
    | 'setStatus'
    | 'sweepStale'
    | 'initCount'
    | 'setControls'
    | 'setMotion'
    | 'forgetMotion'
    | 'forgetCamera'
    | 'forgetCount'
    | 'setCameras'
    | 'setConfigState'
    | 'publishStats'
    | 'counters'
  >;

/** The real link; `url`/`protocolVersion` are the broker chosen at startup (zero-setup may pick the embedded one). */
export function mqttLink(c: LookoutConfig, logger: Logger, o: { url?: string; protocolVersion?: 4 | 5 }): DaemonLink {
  return new MqttLink(
    linkOptions(c, { ...(o.url ? { url: o.url } : {}), ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}), version: version() }),
    logger.child({ component: 'mqtt' }),
  );
}

/** The real loader: ONNX Runtime in a worker. */
export const loadOnnxDetector: DetectorLoader = (options, logger) => {
  // OpenCV's own thread pool would fight the inference threads for the cores; what little it may do
  // in this process (a frame handed over with its pixels) is small. Frames come with the model's
  // input made in the capture process, so the binding is normally never loaded here.
  setCvThreadsOnLoad(1);
  return Detector.load(options, logger);
};
