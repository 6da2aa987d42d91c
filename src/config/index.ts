export { loadConfig, checkConfigText, configHash, type LoadOptions, type LoadedConfig } from './load';
export { ConfigError, EX_CONFIG, formatProblem, type ConfigProblem } from './errors';
export { redactConfig, REDACTED } from './redact';
export { configSchema, DEFAULT_TRACKED, type LookoutConfig } from './schema';
export { cameraSchema, type CameraConfig, type SourceConfig, type ZoneConfig, type Point } from './camera-schema';
export { editCameraTuning, ConfigEditError, type CameraTuning } from './edit';
export { writeFileAtomic, restoreBackup, listBackups, ConfigWriteError, type AtomicWriteResult } from './write-atomic';
