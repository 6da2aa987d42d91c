import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import convict from 'convict';
import YAML from 'yaml';
import Ajv, { type ErrorObject } from 'ajv';
import { configSchema, type LookoutConfig } from './schema';
import { cameraSchema, type CameraConfig } from './camera-schema';
import { ConfigError, problemFromLine, type ConfigProblem } from './errors';
import { checkFileObject, checkValues } from './schema-check';
import { errorMessage } from '../util/errors';
import { redactConfig } from './redact';
import { validateSchedule } from '../schedule';
import { cameraNameProblem, labelNameProblem, zoneNameProblem } from '../mqtt/topics';
import { collisionProblems } from './collisions';
import { executionProviderProblems } from './execution-providers';
import { httpAuthProblems } from '../http/auth';

export interface LoadOptions {
  /** Config file (YAML or JSON). Absent: embedded defaults plus environment. */
  file?: string;
  /** The file's content, already in hand (a save checks the text before it writes it); `file` then only names it. */
  text?: string;
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
  /** The CLI overrides it was loaded with: a check of an edited file (the page's Save) uses them too. */
  overrides?: string[];
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

const problem = (path: string, message: string): ConfigProblem => ({ path, message });

function readFileText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : errorMessage(e);
    throw new ConfigError([problem(file, why)], file);
  }
}

function parseFileObject(file: string, text: string): Record<string, unknown> {
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
    throw new ConfigError([problem(file, `malformed ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorMessage(e)}`)], file);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([problem(file, 'the top level must be a mapping of sections (device, mqtt, cameras, ...)')], file);
  }
  return parsed as Record<string, unknown>;
}

function ajvPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

function cameraProblem(err: ErrorObject, data: unknown[]): ConfigProblem | undefined {
  const where = `cameras${ajvPath(err.instancePath)}`;
  switch (err.keyword) {
    case 'additionalProperties':
      return problem(`${where}.${(err.params as { additionalProperty: string }).additionalProperty}`, 'unknown key');
    case 'required': {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      return problem(`${where}.${missing}`, `required${/\.source$/.test(where) ? ` for source type '${sourceTypeAt(where, data)}'` : ''}`);
    }
    case 'if':
      return undefined; // reported through the failing `then` (required) above
    case 'enum':
      return problem(where, `must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`);
    case 'pattern':
      return problem(
        where,
        /name$/.test(where)
          ? 'must be 1-64 letters, digits, _ or - (it becomes an MQTT topic level)'
          : `does not match ${(err.params as { pattern: string }).pattern}`,
      );
    default:
      return problem(where, err.message ?? err.keyword);
  }
}

function sourceTypeAt(where: string, data: unknown[]): string {
  const index = Number(/^cameras\[(\d+)\]/.exec(where)?.[1]);
  const camera = data[index] as { source?: { type?: string } } | undefined;
  return camera?.source?.type ?? '?';
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateCamera = ajv.compile(cameraSchema);

function checkCameras(cameras: unknown): ConfigProblem[] {
  if (!Array.isArray(cameras)) return [problem('cameras', 'must be a list of cameras')];
  const problems: ConfigProblem[] = [];
  const add = (p: ConfigProblem) => {
    if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
  };
  cameras.forEach((camera, index) => {
    if (!validateCamera(camera)) {
      for (const err of validateCamera.errors ?? []) {
        const p = cameraProblem({ ...err, instancePath: `/${index}${err.instancePath}` }, cameras);
        if (p) add(p);
      }
    }
  });
  const seen = new Map<string, number>();
  cameras.forEach((camera: Partial<CameraConfig>, index) => {
    if (typeof camera?.name !== 'string') return;
    const first = seen.get(camera.name);
    if (first !== undefined) problems.push(problem(`cameras[${index}].name`, `duplicate camera name '${camera.name}' (also cameras[${first}])`));
    else seen.set(camera.name, index);
    const zoneNames = new Set<string>();
    (Array.isArray(camera.zones) ? camera.zones : []).forEach((zone, z) => {
      if (zoneNames.has(zone?.name)) problems.push(problem(`cameras[${index}].zones[${z}].name`, `duplicate zone name '${zone.name}'`));
      zoneNames.add(zone?.name);
    });
    (camera.objects?.required_zones ?? []).forEach((zone, z) => {
      if (typeof zone === 'string' && !zoneNames.has(zone)) {
        problems.push(problem(`cameras[${index}].objects.required_zones[${z}]`, `no zone named '${zone}' on this camera`));
      }
    });
    const crop = camera.transform?.crop;
    if (Array.isArray(crop) && crop.length === 4 && !(crop[0] < crop[2] && crop[1] < crop[3])) {
      problems.push(problem(`cameras[${index}].transform.crop`, 'must be [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax'));
    }
  });
  return problems;
}

function crossChecks(c: LookoutConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push(problem(path, message));
  if (c.mqtt.reconnect.initial_ms > c.mqtt.reconnect.max_ms) add('mqtt.reconnect.initial_ms', 'must not exceed mqtt.reconnect.max_ms');
  if (c.capture.reconnect_initial_ms > c.capture.reconnect_max_ms) add('capture.reconnect_initial_ms', 'must not exceed capture.reconnect_max_ms');
  if (c.objects.min_area > c.objects.max_area) add('objects.min_area', 'must not exceed objects.max_area');
  if (c.adaptive.temp_ok_c >= c.adaptive.temp_high_c) add('adaptive.temp_ok_c', 'must be below adaptive.temp_high_c');
  if ((c.schedule.latitude === null) !== (c.schedule.longitude === null)) add('schedule.latitude', 'latitude and longitude go together');
  if (c.schedule.timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: c.schedule.timezone });
    } catch {
      add('schedule.timezone', `unknown time zone '${c.schedule.timezone}'`);
    }
  }
  if (c.mqtt.tls.cert && !c.mqtt.tls.key) add('mqtt.tls.key', 'required when mqtt.tls.cert is set');
  const location = c.schedule.latitude !== null && c.schedule.longitude !== null ? { lat: c.schedule.latitude, lon: c.schedule.longitude } : undefined;
  // Names become MQTT topic levels: base/<camera>/<label>, base/<camera>/<zone>/<label>.
  c.objects.track.forEach((label, i) => {
    const p = labelNameProblem(label);
    if (p) add(`objects.track[${i}]`, p);
  });
  c.cameras.forEach((camera, index) => {
    const nameProblem = cameraNameProblem(camera.name);
    if (nameProblem) add(`cameras[${index}].name`, nameProblem);
    (camera.objects?.track ?? []).forEach((label, i) => {
      const p = labelNameProblem(label);
      if (p) add(`cameras[${index}].objects.track[${i}]`, p);
    });
    (camera.zones ?? []).forEach((zone, z) => {
      const p = zoneNameProblem(zone.name);
      if (p) add(`cameras[${index}].zones[${z}].name`, p);
    });
  });
  problems.push(...collisionProblems(c).map(problemFromLine));
  problems.push(...executionProviderProblems(c.detector.execution_providers).map(problemFromLine));
  c.cameras.forEach((camera, index) => {
    if (!camera.schedule) return;
    const scheduleProblems = validateSchedule(camera.schedule, {
      timezone: c.schedule.timezone || undefined,
      location,
      path: `cameras[${index}].schedule`,
    });
    // A bad time zone is reported once, under schedule.timezone, above.
    problems.push(...scheduleProblems.filter((p) => !p.startsWith('timezone:')).map(problemFromLine));
  });
  return problems;
}

function readSecret(file: string, key: string, problems: ConfigProblem[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    problems.push(problem(key, `cannot read secret file '${file}': ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`));
    return undefined;
  }
}

/** Secrets never live in the file itself if they can help it: files, systemd credentials, environment. */
function resolveSecrets(c: LookoutConfig, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): void {
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
  // A server reachable from the network needs its secret: refused here, so config check says so too.
  problems.push(...httpAuthProblems(c.http, env).map(problemFromLine));
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = c.mqtt.tls[key];
    if (file) {
      try {
        fs.accessSync(file, fs.constants.R_OK);
      } catch (e) {
        problems.push(problem(`mqtt.tls.${key}`, `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`));
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

function applyOverrides(cfg: convict.Config<LookoutConfig>, overrides: string[], problems: ConfigProblem[]): void {
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) {
      problems.push(problem(`--set ${override}`, 'expected key.path=value'));
      continue;
    }
    const key = override.slice(0, eq).trim();
    let value: unknown;
    try {
      value = YAML.parse(override.slice(eq + 1));
    } catch (e) {
      problems.push(problem(key, `cannot parse override value: ${errorMessage(e)}`));
      continue;
    }
    if (!cfg.has(key as never) && !key.startsWith('cameras')) {
      problems.push(problem(key, 'unknown key (from --set)'));
      continue;
    }
    try {
      cfg.set(key as never, value as never);
    } catch (e) {
      problems.push(problem(key, errorMessage(e)));
    }
  }
}

/** Every problem of one configuration, and the configuration when there are none. */
function loadAndCheck(options: LoadOptions): { problems: ConfigProblem[]; config?: LookoutConfig; file?: string } {
  const env = options.env ?? process.env;
  const file = options.file ? path.resolve(options.file) : undefined;
  const fileObject = file ? parseFileObject(file, options.text ?? readFileText(file)) : {};
  // args: [] keeps convict from reading process.argv itself; the CLI owns argv.
  const cfg = convict<LookoutConfig>(configSchema, { env, args: [] });
  // The file is checked against the schema first; convict loads only what passed (it never coerces a
  // file's strings), and convict's own validate() is not used: its problems come as English lines.
  const checked = checkFileObject(fileObject, configSchema);
  const problems: ConfigProblem[] = [...checked.problems];
  cfg.load(checked.accepted as never);
  applyOverrides(cfg, options.overrides ?? [], problems);
  const config = cfg.getProperties();
  const reported = new Set(problems.map((p) => p.path));
  problems.push(...checkValues(config as unknown as Record<string, unknown>, configSchema, reported));
  // The camera list's elements, which convict cannot describe, are checked by ajv.
  if (!reported.has('cameras')) problems.push(...checkCameras(config.cameras));
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (file && Array.isArray(config.cameras) && config.cameras.length === 0 && problems.length === 0) {
    problems.push(problem('cameras', 'at least one camera is required in a config file'));
  }
  // Secrets are read only from sections that are whole (a `mqtt: 5` has no password_file to read).
  if (!problems.some((p) => p.path === 'mqtt' || p.path === 'mqtt.tls' || p.path === 'http')) resolveSecrets(config, env, problems);
  if (problems.length > 0) return { problems, file };
  applyDerivedDefaults(config, env);
  return { problems, config, file };
}

/**
 * Loads and validates one configuration: defaults < file < LOOKOUT_* environment < CLI overrides.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const { problems, config, file } = loadAndCheck(options);
  if (!config || problems.length > 0) throw new ConfigError(problems, file);
  return { config, file, hash: configHash(config), overrides: options.overrides ?? [] };
}

/**
 * Every problem `lookout config check` would report for `text` as the content of `file` (same loader,
 * same environment and overrides), each with its key path; none: it would load. Writes nothing.
 */
export function checkConfigText(text: string, file: string, options: Omit<LoadOptions, 'file' | 'text'> = {}): ConfigProblem[] {
  try {
    return loadAndCheck({ ...options, file, text }).problems;
  } catch (e) {
    if (e instanceof ConfigError) return e.details;
    throw e;
  }
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
