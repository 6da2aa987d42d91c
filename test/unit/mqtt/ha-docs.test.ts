// docs/home-assistant.md lists the entities a user gets for its example camera; the list must be what
// the discovery code announces, no more and no less, or the guide sends people looking for entities
// that do not exist.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import YAML from 'yaml';
import { loadConfig } from '../../../src/config';
import { buildDiscovery } from '../../../src/mqtt/discovery';
import { Topics } from '../../../src/mqtt/topics';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'home-assistant.md'), 'utf8');

test("the guide's entity table is exactly what discovery announces for its example camera", () => {
  const table = doc.slice(doc.indexOf('<!-- entities:begin'), doc.indexOf('<!-- entities:end'));
  const documented = [...table.matchAll(/^\| `(\w+)` `(\w+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  const announced = [
    ...buildDiscovery(new Topics('lookout/porch-pi'), { prefix: 'homeassistant', deviceId: 'porch-pi', version: '0.2.0' }, [
      { name: 'porch', labels: ['person', 'car'], zones: [{ name: 'driveway', labels: ['person', 'car'] }] },
    ]).keys(),
  ]
    .map((topic) => topic.split('/'))
    .map(([, component, , objectId]) => `${component} ${objectId}`)
    .sort();
  expect(documented).toEqual(announced);
});

test("the guide's example camera passes config check, with a polygon in normalized coordinates", () => {
  const block = /```yaml\n(cameras:[\s\S]*?)```/.exec(doc)?.[1];
  expect(block).toBeDefined();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ha-doc-')), 'config.yaml');
  fs.writeFileSync(file, block!);
  expect(loadConfig({ file, overrides: [] }).config.cameras[0].zones?.[0]?.name).toBe('driveway');
  const parsed = YAML.parse(block!) as { cameras: { zones: { polygon: number[][] }[] }[] };
  for (const [x, y] of parsed.cameras[0].zones[0].polygon) {
    expect(x).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(1);
  }
});

test('the blueprint is a valid automation blueprint that triggers on an occupancy sensor', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'blueprints', 'lookout-zone-notify.yaml'), 'utf8');
  // !input is a Home Assistant YAML tag; read it as a plain reference.
  const tags = [{ tag: '!input', resolve: (value: string) => ({ input: value }) }];
  const bp = YAML.parse(text, { customTags: tags }) as { blueprint: { domain: string; input: Record<string, unknown> }; triggers: { entity_id: unknown }[] };
  expect(bp.blueprint.domain).toBe('automation');
  expect(Object.keys(bp.blueprint.input)).toEqual(expect.arrayContaining(['occupancy', 'snapshot', 'notify_device']));
  expect(bp.triggers[0].entity_id).toEqual({ input: 'occupancy' });
});
