import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import convict from 'convict';
import YAML from 'yaml';
import Ajv, { type ErrorObject } from 'ajv';
import { configSchema, type LookoutConfig } from './schema';
import { cameraSchema, type CameraConfig } from './camera-schema';
import { ConfigError } from './errors';
import { redactConfig } from './redact';
import { validateSchedule } from '../schedule';
import { cameraNameProblem, labelNameProblem, zoneNameProblem } from '../mqtt/topics';
import { collisionProblems } from './collisions';
import { executionProviderProblems } from './execution-providers';

export interface LoadOptions {
  /** Config file (YAML or JSON). Absent: embedded defaults plus environment. */
  file?: string;
  /** CLI overrides as `key.path=value`; the value is read as YAML (`0.7`, `true`, `[a, b]`). */
  overrides?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: LookoutConfig;
  /** Absolute path of the file read, if any. */
  file?: string;
  /** sha256 of the effective configuration with secrets redacted, to tell reloads apart. */
  hash: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

function readFileObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError([`${file}: ${why}`], file);
  }
  let parsed: unknown;
  try {
    if (file.endsWith('.json')) {
      parsed = JSON.parse(text);
    } else {
      const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
      if (doc.errors.length > 0) {
        throw new Error(doc.errors.map((err) => err.message.split('\n')[0]).join('; '));
      }
      parsed = doc.toJS();
    }
  } catch (e) {
    throw new ConfigError([`${file}: malformed ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`], file);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`${file}: the top level must be a mapping of sections (device, mqtt, cameras, ...)`], file);
  }
  return parsed as Record<string, unknown>;
}

/** convict reports problems as lines; bring them to our `key.path: reason` form. */
function convictProblems(message: string): string[] {
  return message
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const undeclared = /configuration param '([^']+)' not declared in the schema/.exec(line);
      if (undeclared) return `${undeclared[1]}: unknown key`;
      const missing = /configuration param '([^']+)' missing from config/.exec(line);
      if (missing) return `${missing[1]}: missing (did a parent key replace the whole section?)`;
      return line;
    });
}

function ajvPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

function cameraProblem(err: ErrorObject, data: unknown[]): string | undefined {
  const where = `cameras${ajvPath(err.instancePath)}`;
  switch (err.keyword) {
    case 'additionalProperties':
      return `${where}.${(err.params as { additionalProperty: string }).additionalProperty}: unknown key`;
    case 'required': {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      return `${where}.${missing}: required${/\.source$/.test(where) ? ` for source type '${sourceTypeAt(where, data)}'` : ''}`;
    }
    case 'if':
      return undefined; // reported through the failing `then` (required) above
    case 'enum':
      return `${where}: must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
    case 'pattern':
      return `${where}: ${/name$/.test(where) ? 'must be 1-64 letters, digits, _ or - (it becomes an MQTT topic level)' : `does not match ${(err.params as { pattern: string }).pattern}`}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${where}: ${err.message ?? 'out of range'}`;
    default:
      return `${where}: ${err.message ?? err.keyword}`;
  }
}

function sourceTypeAt(where: string, data: unknown[]): string {
  const index = Number(/^cameras\[(\d+)\]/.exec(where)?.[1]);
  const camera = data[index] as { source?: { type?: string } } | undefined;
  return camera?.source?.type ?? '?';
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateCamera = ajv.compile(cameraSchema);

function checkCameras(cameras: unknown): string[] {
  if (!Array.isArray(cameras)) return ['cameras: must be a list of cameras'];
  const problems: string[] = [];
  cameras.forEach((camera, index) => {
    if (!validateCamera(camera)) {
      for (const err of validateCamera.errors ?? []) {
        const problem = cameraProblem({ ...err, instancePath: `/${index}${err.instancePath}` }, cameras);
        if (problem && !problems.includes(problem)) problems.push(problem);
      }
    }
  });
  const seen = new Map<string, number>();
  cameras.forEach((camera: Partial<CameraConfig>, index) => {
    if (typeof camera?.name !== 'string') return;
    const first = seen.get(camera.name);
    if (first !== undefined) problems.push(`cameras[${index}].name: duplicate camera name '${camera.name}' (also cameras[${first}])`);
    else seen.set(camera.name, index);
    const zoneNames = new Set<string>();
    (Array.isArray(camera.zones) ? camera.zones : []).forEach((zone, z) => {
      if (zoneNames.has(zone?.name)) problems.push(`cameras[${index}].zones[${z}].name: duplicate zone name '${zone.name}'`);
      zoneNames.add(zone?.name);
    });
    (camera.objects?.required_zones ?? []).forEach((zone, z) => {
      if (typeof zone === 'string' && !zoneNames.has(zone)) {
        problems.push(`cameras[${index}].objects.required_zones[${z}]: no zone named '${zone}' on this camera`);
      }
    });
    const crop = camera.transform?.crop;
    if (Array.isArray(crop) && crop.length === 4 && !(crop[0] < crop[2] && crop[1] < crop[3])) {
      problems.push(`cameras[${index}].transform.crop: must be [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax`);
    }
  });
  return problems;
}

function crossChecks(c: LookoutConfig): string[] {
  const problems: string[] = [];
  if (c.mqtt.reconnect.initial_ms > c.mqtt.reconnect.max_ms) problems.push('mqtt.reconnect.initial_ms: must not exceed mqtt.reconnect.max_ms');
  if (c.capture.reconnect_initial_ms > c.capture.reconnect_max_ms) problems.push('capture.reconnect_initial_ms: must not exceed capture.reconnect_max_ms');
  if (c.objects.min_area > c.objects.max_area) problems.push('objects.min_area: must not exceed objects.max_area');
  if (c.adaptive.temp_ok_c >= c.adaptive.temp_high_c) problems.push('adaptive.temp_ok_c: must be below adaptive.temp_high_c');
  if ((c.schedule.latitude === null) !== (c.schedule.longitude === null)) problems.push('schedule.latitude: latitude and longitude go together');
  if (c.schedule.timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: c.schedule.timezone });
    } catch {
      problems.push(`schedule.timezone: unknown time zone '${c.schedule.timezone}'`);
    }
  }
  if (c.mqtt.tls.cert && !c.mqtt.tls.key) problems.push('mqtt.tls.key: required when mqtt.tls.cert is set');
  const location = c.schedule.latitude !== null && c.schedule.longitude !== null ? { lat: c.schedule.latitude, lon: c.schedule.longitude } : undefined;
  // Names become MQTT topic levels: base/<camera>/<label>, base/<camera>/<zone>/<label>.
  c.objects.track.forEach((label, i) => {
    const p = labelNameProblem(label);
    if (p) problems.push(`objects.track[${i}]: ${p}`);
  });
  c.cameras.forEach((camera, index) => {
    const nameProblem = cameraNameProblem(camera.name);
    if (nameProblem) problems.push(`cameras[${index}].name: ${nameProblem}`);
    (camera.objects?.track ?? []).forEach((label, i) => {
      const p = labelNameProblem(label);
      if (p) problems.push(`cameras[${index}].objects.track[${i}]: ${p}`);
    });
    (camera.zones ?? []).forEach((zone, z) => {
      const p = zoneNameProblem(zone.name);
      if (p) problems.push(`cameras[${index}].zones[${z}].name: ${p}`);
    });
  });
  problems.push(...collisionProblems(c));
  problems.push(...executionProviderProblems(c.detector.execution_providers));
  c.cameras.forEach((camera, index) => {
    if (!camera.schedule) return;
    const scheduleProblems = validateSchedule(camera.schedule, {
      timezone: c.schedule.timezone || undefined,
      location,
      path: `cameras[${index}].schedule`,
    });
    // A bad time zone is reported once, under schedule.timezone, above.
    problems.push(...scheduleProblems.filter((p) => !p.startsWith('timezone:')));
  });
  return problems;
}

function readSecret(file: string, key: string, problems: string[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    problems.push(`${key}: cannot read secret file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
}

/** Secrets never live in the file itself if they can help it: files, systemd credentials, environment. */
function resolveSecrets(c: LookoutConfig, env: NodeJS.ProcessEnv, problems: string[]): void {
  const credentials = env.CREDENTIALS_DIRECTORY;
  if (c.mqtt.password_file) {
    c.mqtt.password = readSecret(c.mqtt.password_file, 'mqtt.password_file', problems) ?? '';
  } else if (!c.mqtt.password && credentials && fs.existsSync(path.join(credentials, 'mqtt_password'))) {
    c.mqtt.password = readSecret(path.join(credentials, 'mqtt_password'), 'mqtt.password (credential mqtt_password)', problems) ?? '';
  }
  if (c.mqtt.tls.key_passphrase_file) {
    c.mqtt.tls.key_passphrase = readSecret(c.mqtt.tls.key_passphrase_file, 'mqtt.tls.key_passphrase_file', problems) ?? '';
  } else if (!c.mqtt.tls.key_passphrase && credentials && fs.existsSync(path.join(credentials, 'mqtt_key_passphrase'))) {
    c.mqtt.tls.key_passphrase =
      readSecret(path.join(credentials, 'mqtt_key_passphrase'), 'mqtt.tls.key_passphrase (credential mqtt_key_passphrase)', problems) ?? '';
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = c.mqtt.tls[key];
    if (file) {
      try {
        fs.accessSync(file, fs.constants.R_OK);
      } catch (e) {
        problems.push(`mqtt.tls.${key}: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
}

function applyDerivedDefaults(c: LookoutConfig, env: NodeJS.ProcessEnv): void {
  if (!c.mqtt.base_topic) c.mqtt.base_topic = `lookout/${c.device.id}`;
  if (!c.mqtt.client_id) c.mqtt.client_id = `lookout-${c.device.id}`;
  if (!c.device.name) c.device.name = `Lookout ${c.device.id}`;
  if (!c.state_dir) c.state_dir = env.STATE_DIRECTORY?.split(':')[0] || path.join(process.cwd(), 'state');
  if (!c.detector.models_dir) c.detector.models_dir = path.join(REPO_ROOT, 'models');
}

type SchemaNode = { default?: unknown; format?: unknown; [key: string]: unknown };

/**
 * convict coerces strings from files the way it coerces environment variables ("yes please" becomes
 * true, "fast" becomes NaN). In a file a string where a boolean or number belongs is a mistake: say so.
 */
function fileTypeProblems(value: unknown, node: SchemaNode, keyPath: string, problems: string[]): void {
  if ('default' in node && typeof node !== 'function') {
    const expected = typeof node.default;
    if ((expected === 'boolean' || expected === 'number') && typeof value === 'string') {
      problems.push(`${keyPath}: must be a ${expected}, not the string ${JSON.stringify(value)}`);
    }
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childNode = node[key] as SchemaNode | undefined;
    if (childNode && typeof childNode === 'object') fileTypeProblems(child, childNode, keyPath ? `${keyPath}.${key}` : key, problems);
  }
}

function applyOverrides(cfg: convict.Config<LookoutConfig>, overrides: string[], problems: string[]): void {
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) {
      problems.push(`--set ${override}: expected key.path=value`);
      continue;
    }
    const key = override.slice(0, eq).trim();
    let value: unknown;
    try {
      value = YAML.parse(override.slice(eq + 1));
    } catch (e) {
      problems.push(`${key}: cannot parse override value: ${(e as Error).message}`);
      continue;
    }
    if (!cfg.has(key as never) && !key.startsWith('cameras')) {
      problems.push(`${key}: unknown key (from --set)`);
      continue;
    }
    try {
      cfg.set(key as never, value as never);
    } catch (e) {
      problems.push(`${key}: ${(e as Error).message}`);
    }
  }
}

/**
 * Loads and validates one configuration: defaults < file < LOOKOUT_* environment < CLI overrides.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ? path.resolve(options.file) : undefined;
  const fileObject = file ? readFileObject(file) : {};
  // args: [] keeps convict from reading process.argv itself; the CLI owns argv.
  const cfg = convict<LookoutConfig>(configSchema, { env, args: [] });
  const problems: string[] = [];
  fileTypeProblems(fileObject, configSchema, '', problems);
  try {
    cfg.load(fileObject as never);
  } catch (e) {
    problems.push(...convictProblems((e as Error).message));
  }
  applyOverrides(cfg, options.overrides ?? [], problems);
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (e) {
    const reported = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
    problems.push(...convictProblems((e as Error).message).filter((p) => !reported.has(p.slice(0, p.indexOf(':')))));
  }
  const config = cfg.getProperties();
  problems.push(...checkCameras(config.cameras));
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (file && Array.isArray(config.cameras) && config.cameras.length === 0 && problems.length === 0) {
    problems.push('cameras: at least one camera is required in a config file');
  }
  resolveSecrets(config, env, problems);
  if (problems.length > 0) throw new ConfigError(problems, file);
  applyDerivedDefaults(config, env);
  return { config, file, hash: configHash(config) };
}

/**
 * sha256 of the effective configuration, secrets redacted. Whoever changes a loaded config afterwards
 * (the zero-setup camera, --log-level) computes it again, so base/config names what really runs.
 */
export function configHash(config: LookoutConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(redactConfig(config)))
    .digest('hex');
}
