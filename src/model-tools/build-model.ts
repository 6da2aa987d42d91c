/**
 * `lookout model build NAME`: a converted model from its TF.js files (build.ts), or an int8 model
 * quantized from one of those (quantize.ts, which needs Python and is loaded only when asked for).
 */
import { type Logger, silentLogger } from '../log';
import { type BuildOptions, type BuildResult, buildConvertedModel } from './build';
import { quantizedModel } from './registry';

/** Builds a known model into the models folder; throws with a clear message on any problem. */
export async function buildModel(name: string, opts: BuildOptions = {}, logger: Logger = silentLogger): Promise<BuildResult> {
  if (!quantizedModel(name)) return buildConvertedModel(name, opts, logger);
  const { buildQuantizedModel } = await import('./quantize');
  return buildQuantizedModel(name, opts, logger);
}
