/**
 * The `lookout` program: each command is registered by its module in src/commands, which owns its
 * options and its action; this file only puts them together and turns errors into exit statuses.
 */
import { Command } from 'commander';
import { ConfigError } from './config';
import { registerCameras } from './commands/cameras';
import { EXIT, reportConfigError, type CommandContext } from './commands/common';
import { registerConfig } from './commands/config';
import { registerDetect } from './commands/detect';
import { registerDoctor } from './commands/doctor';
import { registerModel } from './commands/model';
import { registerRun } from './commands/run';
import { createLogger } from './log';
import { version } from './version';

export { EXIT } from './commands/common';

/** Parses argv and runs one command; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('lookout')
    .description('Lookout: object detection on camera frames (MobileNet-SSD on ONNX Runtime), published to MQTT.')
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();

  const ctx: CommandContext = { setExitCode: (code) => (exitCode = code) };
  // The order here is the order `lookout --help` lists them.
  registerRun(program, ctx);
  registerDetect(program, ctx);
  // bench-command.ts moves to src/commands/bench.ts with the rest of the bench code.
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
      ctx.setExitCode(await runBenchCommand(opts, createLogger({ level: 'warn', stderr: true })));
    });

  registerConfig(program, ctx);
  registerDoctor(program, ctx);
  registerCameras(program, ctx);
  registerModel(program, ctx);

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
