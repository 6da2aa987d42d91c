'use strict';
// Jest runs each test file in its own vm realm with its own typed-array constructors; native addons
// (onnxruntime-node) check `instanceof Float32Array` against the outer realm and reject tensors built
// in the test (jestjs/jest#11864). Hand the outer realm's constructors to the test global.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Buffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OuterRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
module.exports = OuterRealmEnvironment;
