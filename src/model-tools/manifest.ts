/**
 * The JSON manifest committed next to a model file (models/NAME.json). Only the fields the model
 * tools need are typed strictly; the detection engine validates the full shape.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../util/errors';

export interface ModelManifest {
  manifest_version: number;
  name: string;
  description?: string;
  /** Model file name, relative to the manifest's folder. */
  file: string;
  /** sha256 (hex) of the model file. */
  sha256: string;
  input?: unknown;
  output?: unknown;
  labels?: Record<string, string>;
  provenance?: {
    source?: string;
    path?: string;
    tarball_sha256?: string;
    files?: Record<string, string>;
    upstream?: string;
    license?: string;
    converter?: string;
    /** `int8` for a quantized model; absent for FP32. */
    precision?: string;
    /** How a quantized model was made; quantize.ts reads and checks it. */
    quantization?: Record<string, unknown>;
  };
}

export function manifestPath(modelsDir: string, name: string): string {
  return path.join(modelsDir, `${name}.json`);
}

/** Reads and minimally checks a manifest; errors name the file. */
export async function readManifest(modelsDir: string, name: string): Promise<ModelManifest> {
  const p = manifestPath(modelsDir, name);
  let text: string;
  try {
    text = await fs.readFile(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`manifest ${p} cannot be read (${code ?? errorMessage(e)})`);
  }
  let m: Partial<ModelManifest>;
  try {
    m = JSON.parse(text) as Partial<ModelManifest>;
  } catch (e) {
    throw new Error(`manifest ${p} is not valid JSON: ${errorMessage(e)}`);
  }
  for (const key of ['name', 'file', 'sha256'] as const) {
    if (typeof m[key] !== 'string' || !m[key]) throw new Error(`manifest ${p}: field '${key}' is missing or not a string`);
  }
  if (!/^[0-9a-f]{64}$/.test(m.sha256 as string)) throw new Error(`manifest ${p}: sha256 '${m.sha256}' is not 64 hex digits`);
  if (path.basename(m.file as string) !== m.file) throw new Error(`manifest ${p}: file '${m.file}' must be a plain file name`);
  return m as ModelManifest;
}
