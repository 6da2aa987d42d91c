/**
 * `detector.model: auto` through the real detector: the one log line at load says which model runs
 * and why, and the model that runs is that one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Detector } from '../../../src/detect/detector';
import { AUTO_FP32, AUTO_INT8, hostInt8Support } from '../../../src/detect/model-choice';
import { projectRoot } from '../../../src/model-tools/files';
import { capturingLogger } from '../detect/log-capture';

const MODELS = path.join(projectRoot(), 'models');

async function loadAuto(modelsDir: string) {
  const { logger, lines } = capturingLogger();
  const d = await Detector.load({ model: 'auto', modelsDir, intraOpThreads: 1 }, logger);
  const model = d.info.model;
  await d.close();
  return { model, said: lines.filter((l) => /^model auto/.test(l.msg)) };
}

describe('detector.model: auto', () => {
  it('runs int8 on this CPU exactly when it has fast int8 kernels, and logs that once with the reason', async () => {
    const cpu = hostInt8Support();
    const { model, said } = await loadAuto(MODELS);
    expect(model).toBe(cpu.fast ? AUTO_INT8 : AUTO_FP32);
    expect(said).toEqual([expect.objectContaining({ level: 30, runs: model, reason: cpu.why, msg: `model auto: running ${model} (${cpu.why})` })]);
    process.stderr.write(`auto on this machine: ${said[0].msg}\n`);
  });

  it('runs FP32 and says int8 is not built when the folder has only the FP32 model', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-auto-'));
    try {
      for (const f of [`${AUTO_FP32}.json`, `${AUTO_FP32}.onnx`]) fs.symlinkSync(path.join(MODELS, f), path.join(dir, f));
      const { model, said } = await loadAuto(dir);
      expect(model).toBe(AUTO_FP32);
      expect(said).toHaveLength(1);
      if (hostInt8Support().fast) expect(said[0].reason).toContain(`${AUTO_INT8} is not built`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
