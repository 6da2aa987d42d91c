// What a real Home Assistant would make of Lookout's discovery (issue 12): every config valid under
// HA's MQTT discovery schema for its platform (keys and values from HA's documentation of the binary
// sensor, sensor, switch, number, button and image platforms and of `availability`), and every
// template rendered against every payload its topic can carry — counts, each camera state, stats with
// and without the camera (after it was removed), cleared topics — so a template error is a failed test
// here, not an error line every 30 s in a user's HA log.
import { buildDiscovery, AVAILABLE_CAMERA_STATES, type DiscoveryCamera } from '../../../src/mqtt/discovery';
import { parseCommand } from '../../../src/mqtt/commands';
import { cameraStates, schemaProblems, type StatsPayload } from '../../../src/mqtt/schemas';
import { Topics } from '../../../src/mqtt/topics';
import { renderHa } from '../../support/ha-templates';

type Json = Record<string, unknown>;

const ENTITY = [
  'name',
  'unique_id',
  'availability',
  'availability_mode',
  'device',
  'origin',
  'icon',
  'entity_category',
  'object_id',
  'enabled_by_default',
  'json_attributes_topic',
  'json_attributes_template',
  'qos',
  'encoding',
];
const PLATFORMS: Record<string, { required: string[]; optional: string[] }> = {
  binary_sensor: {
    required: ['state_topic'],
    optional: ['value_template', 'device_class', 'payload_on', 'payload_off', 'expire_after', 'force_update', 'off_delay'],
  },
  sensor: {
    required: ['state_topic'],
    optional: [
      'value_template',
      'device_class',
      'state_class',
      'unit_of_measurement',
      'expire_after',
      'force_update',
      'suggested_display_precision',
      'options',
    ],
  },
  switch: {
    required: ['command_topic'],
    optional: ['state_topic', 'value_template', 'payload_on', 'payload_off', 'state_on', 'state_off', 'optimistic', 'retain', 'device_class'],
  },
  number: {
    required: ['command_topic'],
    optional: [
      'command_template',
      'state_topic',
      'value_template',
      'min',
      'max',
      'step',
      'mode',
      'unit_of_measurement',
      'device_class',
      'optimistic',
      'retain',
      'payload_reset',
    ],
  },
  button: { required: ['command_topic'], optional: ['payload_press', 'command_template', 'device_class', 'retain'] },
  image: { required: ['image_topic'], optional: ['content_type', 'image_encoding'] },
};
const ENTITY_CATEGORIES = ['config', 'diagnostic'];
const BINARY_CLASSES = ['occupancy', 'motion', 'presence', 'problem', 'connectivity'];
const SENSOR_CLASSES = ['duration', 'enum', 'timestamp'];
const STATE_CLASSES = ['measurement', 'total', 'total_increasing'];

/** Why `config` would be refused or misread by HA's discovery schema for `platform`; [] when fine. */
function haSchemaProblems(platform: string, config: Json): string[] {
  const p: string[] = [];
  const spec = PLATFORMS[platform];
  if (!spec) return [`platform ${platform} is not one Lookout should use`];
  for (const k of spec.required) if (typeof config[k] !== 'string' || config[k].length === 0) p.push(`${k} is required`);
  const allowed = new Set([...ENTITY, ...spec.required, ...spec.optional]);
  for (const k of Object.keys(config)) if (!allowed.has(k)) p.push(`unknown key ${k}`);
  for (const k of Object.keys(config)) if (/_topic$/.test(k) && /[+#]/.test(String(config[k]))) p.push(`${k} has a wildcard`);
  if (config.entity_category !== undefined && !ENTITY_CATEGORIES.includes(config.entity_category as string)) p.push('bad entity_category');
  if (platform === 'binary_sensor' && config.device_class !== undefined && !BINARY_CLASSES.includes(config.device_class as string)) p.push('bad device_class');
  if (platform === 'sensor') {
    if (config.device_class !== undefined && !SENSOR_CLASSES.includes(config.device_class as string)) p.push('bad device_class');
    if (config.state_class !== undefined && !STATE_CLASSES.includes(config.state_class as string)) p.push('bad state_class');
    if (config.device_class === 'duration' && !['d', 'h', 'min', 's', 'ms'].includes(config.unit_of_measurement as string))
      p.push('duration needs a time unit');
  }
  if (platform === 'number') {
    if (!['auto', 'box', 'slider'].includes((config.mode as string) ?? 'auto')) p.push('bad mode');
    if (!((config.min as number) < (config.max as number)) || !((config.step as number) > 0)) p.push('min/max/step');
  }
  if (!Array.isArray(config.availability) || config.availability.length === 0) p.push('availability list missing');
  for (const a of (config.availability as Json[]) ?? []) {
    if (typeof a.topic !== 'string') p.push('availability entry without topic');
    for (const k of Object.keys(a))
      if (!['topic', 'payload_available', 'payload_not_available', 'value_template'].includes(k)) p.push(`availability: unknown key ${k}`);
  }
  if (config.availability_mode !== undefined && !['all', 'any', 'latest'].includes(config.availability_mode as string)) p.push('bad availability_mode');
  const device = config.device as Json;
  if (!Array.isArray(device?.identifiers) || device.identifiers.length === 0) p.push('device.identifiers');
  for (const k of Object.keys(device ?? {}))
    if (
      ![
        'identifiers',
        'connections',
        'name',
        'manufacturer',
        'model',
        'sw_version',
        'hw_version',
        'configuration_url',
        'suggested_area',
        'via_device',
        'serial_number',
      ].includes(k)
    )
      p.push(`device: unknown key ${k}`);
  const origin = config.origin as Json;
  if (typeof origin?.name !== 'string') p.push('origin.name');
  return p;
}

const topics = new Topics('lookout/pi4');
const cameras: DiscoveryCamera[] = [
  {
    name: 'front',
    labels: ['person', 'car'],
    zones: [
      { name: 'drive', labels: ['person', 'car'] },
      { name: 'door', labels: ['person'] },
    ],
  },
  { name: 'door-cam', labels: ['person'], snapshot: false },
];
const configs = buildDiscovery(topics, { prefix: 'homeassistant', deviceId: 'pi4', version: '0.1.0' }, cameras);

function statsWith(cams: Record<string, { p50: number | null; fps: number }>): string {
  const payload: StatsPayload = {
    v: 1,
    ts: 1,
    uptime_s: 1,
    ep: 'cpu',
    cpu_temp_c: null,
    load: [0, 0, 0],
    rss_mb: 1,
    cameras: Object.fromEntries(
      Object.entries(cams).map(([n, c]) => [
        n,
        { fps: 10, detect_fps: c.fps, inference_p50_ms: c.p50, inference_p95_ms: c.p50, dropped: 0, status: 'streaming' as const },
      ]),
    ),
  };
  expect(schemaProblems('stats', payload)).toBeNull();
  return JSON.stringify(payload);
}

/** Every payload each state topic can carry. */
function payloadsOf(topic: string): string[] {
  if (topic === topics.stats()) {
    return [
      statsWith({ front: { p50: 18.74, fps: 4.96 }, 'door-cam': { p50: 20, fps: 5 } }),
      statsWith({ front: { p50: null, fps: 0 }, 'door-cam': { p50: null, fps: 0 } }), // before the first frame
      statsWith({}), // both cameras removed
      '', // cleared
    ];
  }
  if (/\/status$/.test(topic)) {
    return [...cameraStates.map((state) => JSON.stringify({ v: 1, state, reason: state === 'error' ? 'cannot open /dev/video0' : null, since: 1 })), ''];
  }
  if (/\/detect$/.test(topic)) return ['ON', 'OFF', ''];
  if (/\/min_score$/.test(topic)) return ['0.5', '0.65', ''];
  return ['0', '1', '12', '']; // counts
}

describe('Home Assistant discovery, as Home Assistant reads it', () => {
  it('every config is valid for its platform', () => {
    const problems: string[] = [];
    for (const [topic, config] of configs) {
      const platform = topic.split('/')[1];
      for (const p of haSchemaProblems(platform, config)) problems.push(`${topic}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(new Set([...configs.values()].map((c) => c.unique_id)).size).toBe(configs.size);
  });

  it('announces zone entities, controls, a status sensor and a snapshot button per camera', () => {
    const ids = [...configs.keys()].map((t) => t.split('/').slice(1, 2).concat(t.split('/')[3]).join(':')).sort();
    expect(ids).toEqual(
      expect.arrayContaining([
        'binary_sensor:front_drive_person_occupancy',
        'sensor:front_door_person_count',
        'switch:front_detect',
        'number:front_min_score',
        'button:front_take_snapshot',
        'sensor:front_status',
        'image:front_snapshot',
        'sensor:door-cam_status',
      ]),
    );
    expect(ids).not.toContain('binary_sensor:front_door_car_occupancy'); // the zone counts people only
    expect(ids.filter((i) => i.startsWith('button:door-cam') || i.startsWith('image:door-cam'))).toEqual([]); // snapshots off
    const device = configs.values().next().value!.device as Json;
    expect(device.name).toBe('Lookout pi4');
  });

  it('every template renders on every payload its topic carries, to a value HA accepts', () => {
    const failures: string[] = [];
    const check = (where: string, template: string, payload: string, accept: (out: string) => boolean) => {
      try {
        const out = renderHa(template, payload);
        if (!accept(out)) failures.push(`${where} on '${payload.slice(0, 60)}': rendered '${out}'`);
      } catch (e) {
        failures.push(`${where} on '${payload.slice(0, 60)}': ${(e as Error).message}`);
      }
    };
    const number = (out: string) => /^-?\d+(\.\d+)?$/.test(out);
    for (const [topic, c] of configs) {
      const platform = topic.split('/')[1];
      for (const a of c.availability as Json[]) {
        if (typeof a.value_template !== 'string') continue;
        for (const payload of payloadsOf(a.topic as string))
          check(`${topic} availability`, a.value_template, payload, (o) => o === 'online' || o === 'offline');
      }
      if (typeof c.value_template === 'string') {
        const accept =
          platform === 'binary_sensor' ? (o: string) => o === 'ON' || o === 'OFF' : c.state_class === 'measurement' ? number : (o: string) => o.length > 0;
        for (const payload of payloadsOf(c.state_topic as string)) check(`${topic} value_template`, c.value_template, payload, accept);
      }
      if (typeof c.json_attributes_template === 'string') {
        for (const payload of payloadsOf(c.json_attributes_topic as string)) {
          check(`${topic} json_attributes_template`, c.json_attributes_template, payload, (o) => typeof JSON.parse(o) === 'object');
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('a camera in error, disabled or stopped is unavailable; otherwise available', () => {
    const occ = configs.get('homeassistant/binary_sensor/pi4/front_person_occupancy/config')!;
    expect(occ.availability_mode).toBe('all');
    const fromStatus = (occ.availability as Json[]).find((a) => a.topic === topics.status('front'))!;
    for (const state of cameraStates) {
      const out = renderHa(fromStatus.value_template as string, JSON.stringify({ v: 1, state, reason: null, since: 1 }));
      expect({ state, out }).toEqual({ state, out: (AVAILABLE_CAMERA_STATES as readonly string[]).includes(state) ? 'online' : 'offline' });
    }
    expect(renderHa(fromStatus.value_template as string, '')).toBe('offline');
  });

  it('stats sensors are unavailable, never an error or None, while their camera has no stats entry or no inference time', () => {
    const inf = configs.get('homeassistant/sensor/pi4/front_inference_ms/config')!;
    const avail = (inf.availability as Json[]).find((a) => a.topic === topics.stats())!;
    expect(renderHa(avail.value_template as string, statsWith({ front: { p50: 18.74, fps: 5 } }))).toBe('online');
    expect(renderHa(inf.value_template as string, statsWith({ front: { p50: 18.74, fps: 5 } }))).toBe('18.7');
    expect(renderHa(avail.value_template as string, statsWith({ front: { p50: null, fps: 0 } }))).toBe('offline');
    expect(renderHa(avail.value_template as string, statsWith({ back: { p50: 3, fps: 5 } }))).toBe('offline');
  });

  it('what the switch, number and button send is a command Lookout takes', () => {
    const known = new Set(cameras.map((c) => c.name));
    const sent: { topic: string; payload: string }[] = [];
    for (const c of configs.values()) {
      if (typeof c.payload_on === 'string')
        sent.push({ topic: c.command_topic as string, payload: c.payload_on }, { topic: c.command_topic as string, payload: c.payload_off as string });
      if (typeof c.payload_press === 'string') sent.push({ topic: c.command_topic as string, payload: c.payload_press });
      if (typeof c.command_template === 'string') sent.push({ topic: c.command_topic as string, payload: renderHa(c.command_template, '', { value: 0.65 }) });
    }
    expect(sent.length).toBeGreaterThanOrEqual(7);
    for (const { topic, payload } of sent) {
      const camera = topics.parseSetTopic(topic);
      expect(camera === null ? 'not a set topic' : 'set topic').toBe('set topic');
      const parsed = parseCommand({ camera: camera ?? undefined, payload: Buffer.from(payload), retained: false }, known);
      expect({ payload, ok: parsed.ok }).toEqual({ payload, ok: true });
    }
  });
});
