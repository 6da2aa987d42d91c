'use strict';
// Integration tests use real data and a real model; fail early with the command that provides them.
const fs = require('node:fs');
const path = require('node:path');
module.exports = async () => {
  const root = path.join(__dirname, '..', '..');
  const need = [path.join(root, '.cache', 'testdata', 'vtest.avi')];
  const missing = need.filter((p) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`integration test data missing (${missing.join(', ')}): run scripts/setup.sh --test`);
  }
};
