/**
 * `lookout run`: config (with zero-setup defaults), broker choice, signals, exit status. The daemon
 * itself is in daemon.ts; this is the process around it.
 */
import type { Command } from 'commander';
import { configHash, loadConfig, ConfigError, type LoadedConfig } from '../config';
import { chooseConfigFile } from '../config/config-file';
import { createLogger, type LogLevel, type Logger } from '../log';
import type { EmbeddedBroker } from '../mqtt';
import { tcpAnswers } from '../net';
import { missingMallocTuning } from '../system/malloc-tuning';
import { chooseDefaultCamera } from '../zero-setup';
import { type CommandContext, type ConfigOptions, EXIT, reportConfigError, withConfigOptions } from './common';

export function registerRun(program: Command, ctx: CommandContext): void {
  withConfigOptions(
    program
      .command('run')
      .description(
        'Run the daemon: capture, detect, track, publish. With no config: the first V4L2 camera or the demo video, and the embedded broker if none answers on localhost.',
      ),
  ).action(async (opts: ConfigOptions) => {
    const { file } = chooseConfigFile(opts.config);
    ctx.setExitCode(await runDaemonCommand({ configFile: file, overrides: opts.set, logLevel: opts.logLevel }));
  });
}

export interface DaemonCommandOptions {
  configFile?: string;
  overrides: string[];
  logLevel?: LogLevel;
}

/** After SIGTERM the process is gone within this, whatever hangs (systemd waits 90 s, users less). */
const SHUTDOWN_DEADLINE_MS = 4500;

/**
 * The config, with the zero-setup camera when no file names any; `why` says what was chosen. The hash
 * is taken again after those changes: base/config must name the config that runs.
 */
export function loadWithDefaults(options: DaemonCommandOptions, pickCamera = chooseDefaultCamera): { loaded: LoadedConfig; why?: string } {
  const loaded = loadConfig({ file: options.configFile, overrides: options.overrides });
  // --log-level wins over the file, at start and on every reload.
  if (options.logLevel) loaded.config.log.level = options.logLevel;
  let why: string | undefined;
  if (!loaded.file && loaded.config.cameras.length === 0) {
    const choice = pickCamera();
    if ('error' in choice) throw new ConfigError([`cameras: ${choice.error}`]);
    loaded.config.cameras = [choice.camera];
    why = choice.why;
  }
  loaded.hash = configHash(loaded.config);
  return why === undefined ? { loaded } : { loaded, why };
}

interface BrokerChoice {
  url: string;
  protocolVersion?: 4 | 5;
  embedded?: EmbeddedBroker;
}

async function chooseBroker(loaded: LoadedConfig, log: Logger): Promise<BrokerChoice> {
  const m = loaded.config.mqtt;
  if (m.embedded.mode === 'on' || (!m.url && m.embedded.mode === 'auto')) {
    if (m.embedded.mode === 'auto' && (await tcpAnswers('127.0.0.1', 1883))) {
      log.info('mqtt.url is empty and a broker answers on localhost:1883: using it');
      return { url: 'mqtt://127.0.0.1:1883' };
    }
    try {
      const { startEmbeddedBroker } = await import('../mqtt');
      const embedded = await startEmbeddedBroker({ host: m.embedded.host, port: m.embedded.port }, log.child({ component: 'broker' }));
      log.info(
        { url: embedded.url },
        `started the embedded MQTT broker (${m.embedded.mode === 'on' ? 'mqtt.embedded.mode: on' : 'no broker answered on localhost:1883'}); watch with: mosquitto_sub -h ${m.embedded.host} -p ${embedded.port} -t 'lookout/#' -v`,
      );
      return { url: embedded.url, protocolVersion: 4, embedded };
    } catch (e) {
      log.error({ host: m.embedded.host, port: m.embedded.port, err: e }, 'embedded MQTT broker cannot start (mqtt.embedded); trying localhost:1883');
      return { url: 'mqtt://127.0.0.1:1883' };
    }
  }
  const url = m.url || 'mqtt://127.0.0.1:1883';
  const { redactUrl } = await import('../mqtt');
  log.info({ url: redactUrl(url) }, 'MQTT broker');
  return { url };
}

export async function runDaemonCommand(options: DaemonCommandOptions): Promise<number> {
  let loaded: LoadedConfig;
  let why: string | undefined;
  try {
    ({ loaded, why } = loadWithDefaults(options));
  } catch (e) {
    if (e instanceof ConfigError) return reportConfigError(e);
    throw e;
  }
  const log = createLogger({ level: loaded.config.log.level as LogLevel, format: loaded.config.log.format as 'auto' | 'json' | 'pretty' });
  if (why) log.info({ cameras: loaded.config.cameras }, `no cameras configured: ${why}`);
  log.info(
    { file: loaded.file ?? null, hash: loaded.hash, device: loaded.config.device.id },
    loaded.file ? 'config loaded' : 'no config file: embedded defaults',
  );
  const untuned = missingMallocTuning();
  if (untuned.length > 0)
    log.debug(
      { unset: untuned },
      'memory settings of the systemd unit not set (glibc malloc, V8 young generation): this process uses more memory than the service would (docs/performance.md)',
    );

  const broker = await chooseBroker(loaded, log);
  // The daemon pulls in OpenCV, ONNX Runtime and MQTT: loaded only when it runs, not for --help.
  const { Daemon } = await import('../daemon');
  const { SystemdNotifier } = await import('../system/sd-notify');
  const notifier = new SystemdNotifier(log.child({ component: 'systemd' }));
  const daemon = new Daemon({
    loaded,
    logger: log,
    reloadConfig: () => loadWithDefaults(options).loaded,
    mqttUrl: broker.url,
    ...(broker.protocolVersion ? { protocolVersion: broker.protocolVersion } : {}),
    notifier,
  });

  let exitCode = 0;
  let stopRequested: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  let stopping = false;
  const onStopSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    setTimeout(() => {
      log.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting now');
      process.exit(exitCode);
    }, SHUTDOWN_DEADLINE_MS).unref();
    stopRequested(signal);
  };
  const onHup = () => {
    if (stopping) return;
    log.info('SIGHUP: reloading the config');
    void daemon.reload('SIGHUP');
  };
  const onRejection = (reason: unknown) => {
    log.error({ err: reason }, 'unhandled promise rejection (a bug); the daemon goes on');
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  process.on('SIGHUP', onHup);
  process.on('unhandledRejection', onRejection);

  try {
    await daemon.start();
  } catch (e) {
    log.fatal({ err: e }, 'cannot start');
    exitCode = e instanceof ConfigError ? EXIT.CONFIG : EXIT.SOFTWARE;
    stopping = true;
    stopRequested('start failed');
  }
  // A signal during start is honoured once start is done: the parts exist to be stopped.
  const signal = await stopped;
  await daemon.stop(signal);
  await broker.embedded?.close().catch(() => undefined);
  await notifier.flush().catch(() => undefined);
  process.off('SIGHUP', onHup);
  process.off('unhandledRejection', onRejection);
  // Leave at once rather than let the event loop drain: whatever a library left open must not keep a
  // stopped daemon alive, and while an idle process tears itself down its signal handlers are gone, so
  // an impatient second SIGTERM would end it "killed by SIGTERM" instead of exit 0.
  setImmediate(() => process.exit(exitCode));
  return exitCode;
}
