// Lint for the TypeScript sources and tests: typescript-eslint's type-checked rules, with the two that
// catch what bit this daemon before (a promise nobody awaits, a switch that misses a union member).
// The plain JavaScript (the page, scripts, bin/, test helpers jest loads untransformed) gets ESLint's
// recommended rules with the globals of where it runs.
// Formatting is Prettier's (.prettierrc.json). `npm run lint` runs both and allows no warning.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/**', '.cache/**', 'coverage/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [js.configs.recommended],
    rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }] },
  },
  {
    // Node programs loaded with require(): bin/, scripts/, jest's config and support files, the
    // capture child's source loader.
    files: ['**/*.js', '**/*.cjs'],
    ignores: ['ui/**'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  {
    // jest's setupFiles run inside a test environment, where `jest` is a global.
    files: ['test/**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
  },
  {
    // The page: a classic <script> in the browser, no modules, no build step (docs/ui.md).
    files: ['ui/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The nearest tsconfig.json, which includes test/: tests are linted with their real types too.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Also a switch with a `default` must name every member of a union: a new member is then a lint
      // error where it is handled, not a silent trip into `default`.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Off: an `async` method that does not await implements a Promise-returning interface (checks,
      // test doubles, MqttLink.start); `async` is what turns its throws into rejections, as callers expect.
      // The mistakes that matter with promises are no-floating-promises' and no-misused-promises'.
      '@typescript-eslint/require-await': 'off',
      // Rejecting with an abort signal's reason (typed `any`) passes on what the caller aborted with,
      // as only-throw-error allows for `throw` by default; literals and plain objects are still refused.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // As with tsc's noUnusedParameters, `_arg` is unused on purpose; and `const { id: _id, ...rest } = x`
      // is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // A `let` declared before the callbacks that read it and assigned once after (a process whose
      // event handlers need the session object built from that process) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
