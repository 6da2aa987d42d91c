/** Every model the cameras run: manifest valid, file present, sha256 as the manifest pins it. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { LookoutConfig } from '../config';
import { DEFAULT_MODELS_DIR } from '../detect/detector';
import { loadManifest, resolveManifestPath } from '../detect/manifest';
import { cameraSettings } from '../pipeline/camera-settings';
import { fail, ok, type Check } from './report';
import { errorMessage } from '../util/errors';

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function modelChecks(config: LookoutConfig): Check[] {
  const models = [...new Set(config.cameras.filter((c) => c.enabled !== false).map((c) => cameraSettings(c, config).model))];
  const modelsDir = config.detector.models_dir || DEFAULT_MODELS_DIR;
  return models.map((model): Check => {
    const subject = `model ${model}`;
    return {
      subject,
      async run() {
        let loaded;
        try {
          loaded = loadManifest(resolveManifestPath(model, modelsDir));
        } catch (e) {
          return fail(subject, errorMessage(e), `build it: lookout model build ${model} (or fix detector.model / the camera's model)`);
        }
        if (!fs.existsSync(loaded.modelPath)) return fail(subject, `${loaded.modelPath} is missing`, `lookout model build ${loaded.manifest.name}`);
        if (!loaded.manifest.sha256) return ok(subject, `${loaded.modelPath} present (its manifest pins no sha256, so it is not verified)`);
        const actual = await sha256File(loaded.modelPath);
        if (actual !== loaded.manifest.sha256) {
          return fail(
            subject,
            `${loaded.modelPath}: sha256 ${actual.slice(0, 12)}… is not the manifest's ${loaded.manifest.sha256.slice(0, 12)}…`,
            `rebuild it: lookout model build ${loaded.manifest.name} --force`,
          );
        }
        return ok(subject, `${loaded.modelPath} verified (sha256 ${actual.slice(0, 12)}…)`);
      },
    };
  });
}
