/**
 * LOOKOUT_ONNXRUNTIME_NODE: a user-built onnxruntime-node (a Jetson's CUDA/TensorRT build) is loaded
 * from the folder it names; a wrong folder is refused with the variable and the path in the message,
 * before any camera starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listBackends, loadOrt, ORT_PATH_ENV, resolveOrtBinding } from '../../../src/detect/execution-providers';

const NPM_ORT = path.dirname(require.resolve('onnxruntime-node/package.json'));

describe('resolveOrtBinding', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ort-binding-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('uses the npm package when the variable is unset or empty', () => {
    for (const env of [{}, { [ORT_PATH_ENV]: '  ' }]) {
      const b = resolveOrtBinding(env);
      expect(b).toMatchObject({ root: NPM_ORT, custom: false });
      expect(b.main.startsWith(NPM_ORT + path.sep)).toBe(true);
    }
  });

  it('loads the package in the named folder (given as the folder or its package.json) and lists its backends', () => {
    // A copy of the real package stands in for a user's own build: same layout, another place.
    const own = path.join(tmp, 'ort-build', 'js', 'node');
    fs.mkdirSync(path.dirname(own), { recursive: true });
    // Only this platform's binding: the package carries every platform's (hundreds of MB).
    const thisPlatform = path.join(NPM_ORT, 'bin', 'napi-v6', process.platform, process.arch);
    const binDir = path.join(NPM_ORT, 'bin');
    fs.cpSync(NPM_ORT, own, {
      recursive: true,
      dereference: true,
      filter: (src) => !src.startsWith(binDir + path.sep) || thisPlatform.startsWith(src) || src.startsWith(thisPlatform),
    });
    // A source build's js/node has its own node_modules with onnxruntime-common (from js/common).
    const common = path.join(NPM_ORT, '..', 'onnxruntime-common');
    fs.cpSync(common, path.join(own, 'node_modules', 'onnxruntime-common'), { recursive: true, dereference: true });
    for (const given of [own, path.join(own, 'package.json')]) {
      const b = resolveOrtBinding({ [ORT_PATH_ENV]: given });
      expect(b).toMatchObject({ root: own, custom: true });
      expect(b.main.startsWith(own + path.sep)).toBe(true);
    }
    const backends = listBackends(loadOrt(resolveOrtBinding({ [ORT_PATH_ENV]: own })));
    expect(backends.map((x) => x.name)).toContain('cpu');
  });

  it('refuses a folder without package.json, naming the variable and the path', () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    expect(() => resolveOrtBinding({ [ORT_PATH_ENV]: empty })).toThrow(`${ORT_PATH_ENV}=${empty}: no package.json there (${path.join(empty, 'package.json')})`);
  });

  it('refuses a package that is not onnxruntime-node', () => {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'package.json'), JSON.stringify({ name: 'onnxruntime-web', version: '1.30.0' }));
    expect(() => resolveOrtBinding({ [ORT_PATH_ENV]: other })).toThrow(/is the package "onnxruntime-web", not onnxruntime-node/);
  });

  it('refuses an unbuilt onnxruntime-node (no entry point) and says so', () => {
    const unbuilt = path.join(tmp, 'unbuilt');
    fs.mkdirSync(unbuilt);
    fs.writeFileSync(path.join(unbuilt, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.30.0', main: 'dist/index.js' }));
    expect(() => resolveOrtBinding({ [ORT_PATH_ENV]: unbuilt })).toThrow(/has no loadable entry point .*was it built/);
  });
});
