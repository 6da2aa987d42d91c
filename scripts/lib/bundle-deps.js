#!/usr/bin/env node
'use strict';
// The production node_modules of a bundle, taken from package-lock.json (scripts/bundle.sh).
//
//   node scripts/lib/bundle-deps.js paths DIR     the top-level production package folders
//                                                 (node_modules/NAME) that DIR/node_modules holds,
//                                                 one a line: what the bundle copies
//   node scripts/lib/bundle-deps.js check DIR     DIR/node_modules holds every production package of
//                                                 DIR/package-lock.json at its locked version and no
//                                                 other package
//   node scripts/lib/bundle-deps.js require DIR   require() every dependency of DIR/package.json from
//                                                 DIR (run with the bundle's Node)
//   node scripts/lib/bundle-deps.js resolve DIR   the same with require.resolve() only (a cross-built
//                                                 bundle, whose native modules this machine cannot load)
//
// The lock file, not the folder a build ran in, says what the bundle needs: a package added to
// package.json since the last build is then copied (or named as missing), and a dev-only or removed
// one is left out. Optional packages the lock has but the folder lacks (another platform's) are
// allowed. Exit 1 with the packages named when something does not match.
const fs = require('node:fs');
const path = require('node:path');

const [cmd, dirArg] = process.argv.slice(2);
if (!['paths', 'check', 'require', 'resolve'].includes(cmd) || !dirArg) {
  process.stderr.write('usage: bundle-deps.js paths|check|require|resolve DIR\n');
  process.exit(2);
}
const dir = path.resolve(dirArg);

function fail(lines) {
  for (const line of lines) process.stderr.write(`bundle-deps: ${line}\n`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return fail([`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`]);
  }
}

// Map of lock path (node_modules/a, node_modules/a/node_modules/b) to its entry, production only.
function productionPackages() {
  const lockFile = path.join(dir, 'package-lock.json');
  const lock = readJson(lockFile);
  if (!lock.packages || lock.lockfileVersion < 2) fail([`${lockFile}: lockfileVersion 2 or 3 expected (npm 7+)`]);
  const prod = new Map();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev || entry.link) continue;
    prod.set(key, entry);
  }
  return prod;
}

// Every installed package folder under DIR/node_modules, nested ones too, as lock paths.
function installedPackages() {
  const found = new Map();
  const walk = (nm) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(dir, nm), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || !e.isDirectory()) continue;
      if (e.name.startsWith('@')) {
        for (const s of fs.readdirSync(path.join(dir, nm, e.name), { withFileTypes: true })) {
          if (s.isDirectory()) visit(`${nm}/${e.name}/${s.name}`);
        }
      } else visit(`${nm}/${e.name}`);
    }
  };
  const visit = (key) => {
    const pkgFile = path.join(dir, key, 'package.json');
    if (!fs.existsSync(pkgFile)) return;
    found.set(key, readJson(pkgFile).version);
    walk(`${key}/node_modules`);
  };
  walk('node_modules');
  return found;
}

const nameOf = (key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

if (cmd === 'paths') {
  const prod = productionPackages();
  const missing = [];
  for (const [key, entry] of prod) {
    if (key.includes('/node_modules/')) continue; // copied inside its parent's folder
    if (fs.existsSync(path.join(dir, key, 'package.json'))) process.stdout.write(`${key}\n`);
    else if (!entry.optional) missing.push(`${nameOf(key)}@${entry.version}`);
  }
  if (missing.length > 0) {
    fail([`${dir}/node_modules lacks production packages of package-lock.json: ${missing.join(' ')}`, 'run npm ci (or scripts/setup.sh) there first']);
  }
} else if (cmd === 'check') {
  const prod = productionPackages();
  const installed = installedPackages();
  const problems = [];
  for (const [key, entry] of prod) {
    const have = installed.get(key);
    if (have === undefined) {
      if (!entry.optional) problems.push(`missing ${key} (${entry.version} locked)`);
    } else if (have !== entry.version) problems.push(`${key} is ${have}; package-lock.json has ${entry.version}`);
  }
  for (const key of installed.keys()) if (!prod.has(key)) problems.push(`${key} is not a production package of package-lock.json`);
  if (problems.length > 0) fail([`${dir}/node_modules does not match package-lock.json:`, ...problems]);
  process.stdout.write(`${installed.size} production packages, as package-lock.json locks them\n`);
} else {
  const pkg = readJson(path.join(dir, 'package.json'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
  const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
  const problems = [];
  let loaded = 0;
  // Resolution walks up past DIR (a staging folder inside a clone finds the clone's node_modules):
  // anything resolved or loaded from outside DIR counts as missing.
  const inside = (file) => file.startsWith(`${dir}${path.sep}`);
  for (const name of names) {
    if (optional.has(name) && !fs.existsSync(path.join(dir, 'node_modules', name))) continue;
    try {
      const resolved = require.resolve(name, { paths: [dir] });
      if (!inside(resolved)) throw new Error(`not in ${dir}/node_modules (found ${resolved})`);
      if (cmd === 'require') require(resolved);
      loaded++;
    } catch (e) {
      problems.push(`${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  // A production package loaded from outside is one the bundle lacks; others found there are the
  // optional try-require()s of some packages (supports-color), which do without them on a device.
  const prodNames = new Set([...productionPackages().keys()].map(nameOf));
  for (const file of Object.keys(require.cache)) {
    const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m && !inside(file) && prodNames.has(m[1])) problems.push(`${m[1]} was loaded from outside ${dir} (${file})`);
  }
  if (problems.length > 0) fail([`dependencies of package.json that do not ${cmd} from ${dir}:`, ...problems]);
  process.stdout.write(`${loaded} dependencies of package.json ${cmd === 'require' ? 'load' : 'resolve'} from ${dir}\n`);
}
