'use strict';
// Two projects so unit tests (pure logic, seconds) and integration tests (real OpenCV, ONNX Runtime,
// Mosquitto) can run alone: `npm run test:unit`, `npm run test:integration`.
const common = {
  testEnvironment: '<rootDir>/test/support/outer-realm-environment.js',
  // Type checking is `tsc --noEmit` in `npm test`; ts-jest only transpiles (isolatedModules in tsconfig).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.js'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
  ],
};
