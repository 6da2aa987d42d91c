export { loadConfig, configHash, type LoadOptions, type LoadedConfig } from './load';
export { ConfigError, EX_CONFIG } from './errors';
export { redactConfig, REDACTED } from './redact';
export { configSchema, DEFAULT_TRACKED, type LookoutConfig } from './schema';
export { cameraSchema, type CameraConfig, type SourceConfig, type ZoneConfig, type Point } from './camera-schema';
