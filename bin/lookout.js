#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm run build` / scripts/setup.sh).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(`lookout: ${entry} is missing; run scripts/setup.sh (or npm run build) first\n`);
  process.exit(70);
}
require(entry)
  .main(process.argv)
  .then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`lookout: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 70;
    },
  );
