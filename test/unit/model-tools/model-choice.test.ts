import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { resolveManifestPath } from '../../../src/detect/manifest';
import { AUTO_FP32, AUTO_INT8, chooseAutoModel, cpuFlags, int8Support } from '../../../src/detect/model-choice';

// Abbreviated /proc/cpuinfo of the machines the choice matters on.
const EPYC = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n\nprocessor\t: 1\n';
const HASWELL = 'processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n';
const PI4 = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n';
const PI5 = 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n';

describe('int8Support', () => {
  it('says int8 is fast on x86_64 with VNNI and on every aarch64, naming what it found', () => {
    expect(int8Support('x64', cpuFlags(EPYC))).toEqual({ fast: true, why: expect.stringContaining('avx512_vnni') });
    expect(int8Support('arm64', cpuFlags(PI4))).toEqual({ fast: true, why: 'aarch64: int8 NEON kernels' });
    expect(int8Support('arm64', cpuFlags(PI5)).why).toContain('asimddp');
  });

  it('keeps FP32 on x86_64 without VNNI, on other CPUs, and when cpuinfo cannot be read', () => {
    expect(int8Support('x64', cpuFlags(HASWELL))).toEqual({ fast: false, why: expect.stringContaining('without VNNI') });
    expect(int8Support('x64', cpuFlags('')).fast).toBe(false);
    expect(int8Support('riscv64', new Set()).fast).toBe(false);
  });
});

describe('chooseAutoModel', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-auto-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const install = (name: string, withFile = true) => {
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ name, file: `${name}.onnx` }));
    if (withFile) fs.writeFileSync(path.join(dir, `${name}.onnx`), 'x');
  };
  const fast = { fast: true, why: 'x86_64 with avx512_vnni: int8 VNNI kernels' };

  it('picks int8 when it is installed and the CPU is fast at it', () => {
    install(AUTO_FP32);
    install(AUTO_INT8);
    expect(chooseAutoModel(dir, fast)).toEqual({ model: AUTO_INT8, reason: fast.why });
  });

  it('falls back to FP32 with the build command when the int8 manifest or its file is missing', () => {
    install(AUTO_FP32);
    expect(chooseAutoModel(dir, fast).model).toBe(AUTO_FP32);
    install(AUTO_INT8, false);
    const c = chooseAutoModel(dir, fast);
    expect(c.model).toBe(AUTO_FP32);
    expect(c.reason).toContain(`lookout model build ${AUTO_INT8}`);
  });

  it('runs FP32 on a CPU without fast int8 even when int8 is installed, and says why', () => {
    install(AUTO_INT8);
    expect(chooseAutoModel(dir, { fast: false, why: 'no VNNI' })).toEqual({ model: AUTO_FP32, reason: 'no VNNI' });
  });

  it("is what resolveManifestPath gives for 'auto' (so every place that resolves a model name understands it)", () => {
    install(AUTO_FP32);
    // No int8 here, so on any CPU auto is the FP32 manifest.
    expect(resolveManifestPath('auto', dir)).toBe(path.join(dir, `${AUTO_FP32}.json`));
  });
});
