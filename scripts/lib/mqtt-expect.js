#!/usr/bin/env node
'use strict';
// Waits for a daemon's per-frame detection messages: subscribes to BASE/# on URL and exits 0 once
// COUNT `BASE/<camera>/detections` messages have arrived, 1 when TIMEOUT_S pass first. Prints each
// one briefly. Used by scripts/check-arm64.sh; runs with the installed Lookout's own node_modules.
//
//   node scripts/lib/mqtt-expect.js URL BASE COUNT TIMEOUT_S
const mqtt = require('mqtt');

const [url, base, countArg, timeoutArg] = process.argv.slice(2);
const want = Number(countArg);
const timeoutS = Number(timeoutArg);
if (!url || !base || !(want > 0) || !(timeoutS > 0)) {
  process.stderr.write('usage: mqtt-expect.js URL BASE COUNT TIMEOUT_S\n');
  process.exit(2);
}

let got = 0;
const topics = new Set();
// The daemon may start after us (model load under emulation takes a while): keep reconnecting.
const client = mqtt.connect(url, { reconnectPeriod: 500, connectTimeout: 5000 });
const timer = setTimeout(() => {
  process.stderr.write(
    `mqtt-expect: ${got} of ${want} detections messages on ${base}/+/detections within ${timeoutS} s (topics seen: ${[...topics].join(' ') || 'none'})\n`,
  );
  client.end(true, () => process.exit(1));
}, timeoutS * 1000);

client.on('connect', () => client.subscribe(`${base}/#`));
client.on('message', (topic, payload) => {
  topics.add(topic);
  if (!topic.endsWith('/detections')) return;
  got++;
  let what = '';
  try {
    const msg = JSON.parse(payload.toString());
    what = (msg.detections || []).map((d) => `${d.label} ${Number(d.score).toFixed(2)}`).join(', ') || 'nothing';
  } catch (e) {
    what = `unparsable payload (${e.message})`;
  }
  console.log(`    ${topic}: ${what}`);
  if (got >= want) {
    clearTimeout(timer);
    client.end(false, () => process.exit(0));
  }
});
