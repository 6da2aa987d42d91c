/** What the numbers were measured on: without it a frame rate means nothing to a reader. */
import os from 'node:os';
import { loadCv } from '../cv';
import { benchOrtBinding } from './ort';

export interface MachineInfo {
  cpu_model: string;
  /** Logical CPUs this process may use (what ORT's default thread count follows). */
  cores: number;
  arch: string;
  platform: string;
  kernel: string;
  memory_mb: number;
  node: string;
  onnxruntime: string;
  opencv: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const ort = benchOrtBinding();
  const v = loadCv().version as { major: number; minor: number; revision: number } | undefined;
  return {
    cpu_model: cpus[0]?.model.trim() || 'unknown',
    cores: os.availableParallelism(),
    arch: process.arch,
    platform: process.platform,
    kernel: os.release(),
    memory_mb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    onnxruntime: ort.custom ? `${ort.version} (${ort.root})` : ort.version,
    opencv: v ? `${v.major}.${v.minor}.${v.revision}` : 'unknown',
  };
}
