/**
 * The `lookout` program: each command is registered by its module in src/commands, which owns its
 * options and its action; this file only puts them together and turns errors into exit statuses.
 */
import { Command } from 'commander';
import { ConfigError } from './config';
import { registerBench } from './commands/bench';
import { registerCameras } from './commands/cameras';
import { EXIT, reportConfigError, type CommandContext } from './commands/common';
import { registerConfig } from './commands/config';
import { registerDetect } from './commands/detect';
import { registerDoctor } from './commands/doctor';
import { registerModel } from './commands/model';
import { registerRun } from './commands/run';
import { version } from './version';
import { errorMessage } from './util/errors';

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
  registerBench(program, ctx);
  registerConfig(program, ctx);
  registerDoctor(program, ctx);
  registerCameras(program, ctx);
  registerModel(program, ctx);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = (e ?? {}) as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (e instanceof ConfigError) return reportConfigError(e);
    process.stderr.write(`lookout: ${errorMessage(e)}\n`);
    return EXIT.SOFTWARE;
  }
  return exitCode;
}
