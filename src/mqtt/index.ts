// Public API of the MQTT part: the daemon and the CLI import from here only.
export { MqttLink, redactUrl } from './link';
export type { MqttLinkOptions, MqttTlsOptions, MqttCounters, CommandHandler, CommandResult, EventInput } from './link';
export { startEmbeddedBroker } from './broker';
export type { EmbeddedBroker, EmbeddedBrokerOptions } from './broker';
export {
  Topics,
  defaultBaseTopic,
  topicLevelProblem,
  publishTopicProblem,
  baseTopicProblem,
  cameraNameProblem,
  labelNameProblem,
  zoneNameProblem,
  labelLevel,
  TOPIC_DELIVERY,
  RESERVED_BASE_LEVELS,
  RESERVED_CAMERA_LEVELS,
} from './topics';
export type { TopicPayloads, TopicKind } from './topics';
export * from './schemas';
export { parseCommand, MAX_COMMAND_BYTES } from './commands';
export type { CommandRequest, ParsedCommand } from './commands';
export { buildDiscovery, discoveryId } from './discovery';
export type { DiscoveryCamera, DiscoveryOptions } from './discovery';
export type { BackoffOptions } from './backoff';
