#!/usr/bin/env node
'use strict';
// Compares two `lookout detect --json` outputs (reference, candidate), matched by file name and
// frame: the same detections in the same order (labels), scores and box corners within a tolerance.
//
//   node scripts/lib/compare-detections.js REFERENCE.jsonl CANDIDATE.jsonl [TOLERANCE]
//
// `lookout detect --json` prints scores and boxes rounded to 4 decimals, so two values within the
// tolerance can print one last digit apart: the printed values are allowed TOLERANCE + 1e-4.
// Prints one line per file and a summary; exit 1 on any difference beyond the tolerance or a
// file missing on either side. File names are compared without their folder, since the two runs
// read the same photos from different places (host and arm64 root).
const fs = require('node:fs');
const path = require('node:path');

const [refFile, candFile, tolArg] = process.argv.slice(2);
if (!refFile || !candFile) {
  process.stderr.write('usage: compare-detections.js REFERENCE.jsonl CANDIDATE.jsonl [TOLERANCE]\n');
  process.exit(2);
}
const tol = tolArg === undefined ? 1e-4 : Number(tolArg);
if (!(tol >= 0)) {
  process.stderr.write(`compare-detections: tolerance must be a number >= 0 (got ${tolArg})\n`);
  process.exit(2);
}

function load(file) {
  const byKey = new Map();
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  lines.forEach((l, i) => {
    let rec;
    try {
      rec = JSON.parse(l);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not a JSON line (${e.message})`);
    }
    byKey.set(`${path.basename(rec.file)}#${rec.frame}`, rec);
  });
  if (byKey.size === 0) throw new Error(`${file}: no detection lines`);
  return byKey;
}

let ref;
let cand;
try {
  ref = load(refFile);
  cand = load(candFile);
} catch (e) {
  process.stderr.write(`compare-detections: ${e.message}\n`);
  process.exit(2);
}

const PRINT_STEP = 1e-4;
const allowed = tol + PRINT_STEP + 1e-9;
let failures = 0;
let maxScore = 0;
let maxBox = 0;
let count = 0;
for (const key of new Set([...ref.keys(), ...cand.keys()])) {
  const a = ref.get(key);
  const b = cand.get(key);
  if (!a || !b) {
    failures++;
    console.log(`  FAIL ${key}: only in ${a ? 'reference' : 'candidate'}`);
    continue;
  }
  const la = a.detections.map((d) => d.label).join(',');
  const lb = b.detections.map((d) => d.label).join(',');
  if (la !== lb) {
    failures++;
    console.log(`  FAIL ${key}: detections differ: [${la}] vs [${lb}]`);
    continue;
  }
  let ds = 0;
  let db = 0;
  a.detections.forEach((d, i) => {
    const e = b.detections[i];
    ds = Math.max(ds, Math.abs(d.score - e.score));
    d.box.forEach((v, j) => {
      db = Math.max(db, Math.abs(v - e.box[j]));
    });
  });
  count += a.detections.length;
  maxScore = Math.max(maxScore, ds);
  maxBox = Math.max(maxBox, db);
  const ok = ds <= allowed && db <= allowed;
  if (!ok) failures++;
  const what = a.detections.map((d) => `${d.label} ${d.score.toFixed(4)}`).join(', ') || 'nothing';
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${key}: ${what}; max |Δscore| ${ds.toExponential(1)}, max |Δbox| ${db.toExponential(1)}`);
}
console.log(
  `  ${failures === 0 ? 'same' : 'DIFFERENT'}: ${ref.size} inputs, ${count} detections, max |Δscore| ${maxScore.toExponential(1)}, ` +
    `max |Δbox| ${maxBox.toExponential(1)} (tolerance ${tol}, + ${PRINT_STEP} for the printed rounding)`,
);
process.exit(failures === 0 ? 0 : 1);
