/**
 * `detector.model: auto`: the int8 model where it is installed and this CPU has int8 kernels that
 * beat FP32, else the FP32 model; with the reason, which the detector logs once at load.
 *
 * Which CPUs: ONNX Runtime's MLAS runs the QDQ Conv nodes with integer kernels. On aarch64 NEON is
 * always there (and the dot-product instructions of Cortex-A76 and newer, i.e. the Pi 5, make it
 * faster still). On x86_64 the int8 model is built with reduce_range off, which ORT's quantizer
 * recommends only with VNNI: without it the AVX2 u8s8 kernels can saturate, so auto stays on FP32
 * there. Anything else: FP32.
 *
 * No imports from the rest of detect/: manifest.ts resolves names through this module.
 */
import fs from 'node:fs';
import path from 'node:path';

export const AUTO_MODEL = 'auto';
/** The FP32 model auto starts from, and the name of its int8 variant. */
export const AUTO_FP32 = 'ssdlite_mobilenet_v2_coco';
export const AUTO_INT8 = `${AUTO_FP32}_int8`;

export interface Int8Support {
  fast: boolean;
  /** What was found, in words for the log line. */
  why: string;
}

/** The CPU flags of the first processor in /proc/cpuinfo (x86 `flags`, ARM `Features`). */
export function cpuFlags(cpuinfo: string): Set<string> {
  const line = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  return new Set(
    line
      ? line
          .replace(/^[^:]*:/, '')
          .trim()
          .split(/\s+/)
      : [],
  );
}

export function int8Support(arch: string, flags: Set<string>): Int8Support {
  if (arch === 'arm64') {
    return flags.has('asimddp')
      ? { fast: true, why: 'aarch64 with dot-product instructions (asimddp): int8 NEON kernels' }
      : { fast: true, why: 'aarch64: int8 NEON kernels' };
  }
  if (arch === 'x64') {
    const vnni = ['avx512_vnni', 'avx_vnni'].find((f) => flags.has(f));
    if (vnni) return { fast: true, why: `x86_64 with ${vnni}: int8 VNNI kernels` };
    return { fast: false, why: 'x86_64 without VNNI: the int8 model is built for VNNI/ARM kernels (no reduce_range) and can saturate on AVX2 alone' };
  }
  return { fast: false, why: `no int8 kernels known to beat FP32 on ${arch}` };
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** This machine's answer (reads /proc/cpuinfo; outside Linux nothing is found and FP32 runs). */
export function hostInt8Support(): Int8Support {
  return int8Support(process.arch, cpuFlags(readCpuinfo()));
}

export interface ModelChoice {
  /** The model name to load. */
  model: string;
  reason: string;
}

/** Whether a model's manifest and the file it names are both in the folder. */
function installed(name: string, modelsDir: string): boolean {
  const manifest = path.join(modelsDir, `${name}.json`);
  try {
    const file = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { file?: unknown }).file;
    return typeof file === 'string' && fs.existsSync(path.join(modelsDir, path.basename(file)));
  } catch {
    return false;
  }
}

/** What `auto` means in this models folder on this CPU. */
export function chooseAutoModel(modelsDir: string, cpu: Int8Support = hostInt8Support()): ModelChoice {
  if (!cpu.fast) return { model: AUTO_FP32, reason: cpu.why };
  if (!installed(AUTO_INT8, modelsDir)) {
    return { model: AUTO_FP32, reason: `${cpu.why}, but ${AUTO_INT8} is not built in ${modelsDir} (lookout model build ${AUTO_INT8})` };
  }
  return { model: AUTO_INT8, reason: cpu.why };
}
