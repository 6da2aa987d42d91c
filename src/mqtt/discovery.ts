// Home Assistant MQTT discovery: one retained config message per entity, all grouped under one
// device per Lookout. Pure: builds topic → payload; the link publishes, replays and clears them.
//
// What Home Assistant showed users before (issue 12) and what prevents it here:
// - a camera in `error` looked normal: camera entities carry a second availability entry read from
//   the camera's status topic (availability_mode all), so they go unavailable with the camera;
// - per-camera sensors read `value_json.cameras['door']` from the shared stats payload and logged a
//   template error every interval once the camera was gone: every template here checks what it reads
//   (`is defined`), and the stats entities are unavailable while their camera has no stats entry;
// - the inference-time sensor received None before the first frame: it is unavailable until then.
import { labelLevel, type Topics } from './topics';

export interface DiscoveryCamera {
  name: string;
  /** Labels whose count and occupancy become entities. */
  labels: string[];
  /** Zones with the labels counted in each: occupancy and count entities per zone and label. */
  zones?: { name: string; labels: string[] }[];
  /** Publish the snapshot topic as an `image` entity and offer a snapshot button. Default true. */
  snapshot?: boolean;
  /** Motion gating is on: a `motion` binary sensor from `base/<camera>/motion`. Default true. */
  motion?: boolean;
}

export interface DiscoveryOptions {
  /** Discovery prefix. Default `homeassistant`. */
  prefix: string;
  deviceId: string;
  /** Device name shown in Home Assistant. Default `Lookout <device_id>`. */
  deviceName?: string;
  /** Lookout version, shown as device sw_version and origin sw. */
  version: string;
  /** Model name shown on the device card. */
  model?: string;
  /** A page of this Lookout for the device card (only where one is served). */
  configurationUrl?: string;
}

type Json = Record<string, unknown>;

/** Camera states in which its entities show values; `error`, `disabled` and `stopped` make them unavailable. */
export const AVAILABLE_CAMERA_STATES = ['starting', 'streaming', 'reconnecting', 'paused'] as const;

/** Characters Home Assistant accepts in node_id/object_id. */
export function discoveryId(text: string): string {
  return labelLevel(text).replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** A Jinja string literal for `text` (camera names are letters, digits, `_` and `-`; quotes escaped anyway). */
const jinjaString = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const ONLINE_OFFLINE = { payload_available: 'online', payload_not_available: 'offline' };

/** Every discovery config topic → payload for these cameras. */
export function buildDiscovery(topics: Topics, options: DiscoveryOptions, cameras: DiscoveryCamera[]): Map<string, Json> {
  const node = discoveryId(options.deviceId);
  const device = {
    identifiers: [`lookout_${node}`],
    name: options.deviceName || `Lookout ${options.deviceId}`,
    manufacturer: 'Lookout',
    model: options.model ?? 'Lookout object detection',
    sw_version: options.version,
    ...(options.configurationUrl ? { configuration_url: options.configurationUrl } : {}),
  };
  const deviceAvailability = { topic: topics.availability(), ...ONLINE_OFFLINE };
  const out = new Map<string, Json>();
  const add = (component: string, objectId: string, availability: Json[], config: Json): void => {
    out.set(`${options.prefix}/${component}/${node}/${objectId}/config`, {
      ...config,
      unique_id: `lookout_${node}_${objectId}`,
      availability: [deviceAvailability, ...availability],
      ...(availability.length > 0 ? { availability_mode: 'all' } : {}),
      device,
      origin: { name: 'Lookout', sw: options.version },
    });
  };
  for (const cam of cameras) {
    const c = discoveryId(cam.name);
    const key = jinjaString(cam.name);
    const states = `[${AVAILABLE_CAMERA_STATES.map((s) => `'${s}'`).join(', ')}]`;
    const cameraUp = [
      {
        topic: topics.status(cam.name),
        ...ONLINE_OFFLINE,
        value_template: `{{ 'online' if value_json is defined and value_json.state is defined and value_json.state in ${states} else 'offline' }}`,
      },
    ];
    const inStats = `value_json is defined and value_json.cameras is defined and value_json.cameras[${key}] is defined`;
    const counts: { zone?: string; label: string }[] = [
      ...cam.labels.map((label) => ({ label })),
      ...(cam.zones ?? []).flatMap((z) => z.labels.map((label) => ({ zone: z.name, label }))),
    ];
    for (const { zone, label } of counts) {
      const id = zone === undefined ? `${c}_${discoveryId(label)}` : `${c}_${discoveryId(zone)}_${discoveryId(label)}`;
      const title = zone === undefined ? `${cam.name} ${label}` : `${cam.name} ${zone} ${label}`;
      const countTopic = topics.count(cam.name, label, zone);
      add('binary_sensor', `${id}_occupancy`, cameraUp, {
        name: `${title} occupancy`,
        state_topic: countTopic,
        value_template: "{{ 'ON' if (value | int(0)) > 0 else 'OFF' }}",
        device_class: 'occupancy',
      });
      add('sensor', `${id}_count`, cameraUp, {
        name: `${title} count`,
        state_topic: countTopic,
        value_template: '{{ value | int(0) }}',
        state_class: 'measurement',
        unit_of_measurement: 'objects',
        icon: 'mdi:counter',
      });
    }
    add('sensor', `${c}_status`, [], {
      name: `${cam.name} status`,
      state_topic: topics.status(cam.name),
      value_template: "{{ value_json.state if value_json is defined and value_json.state is defined else 'unknown' }}",
      json_attributes_topic: topics.status(cam.name),
      json_attributes_template:
        "{{ {'reason': value_json.reason, 'since': value_json.since} | tojson if value_json is defined and value_json.reason is defined and value_json.since is defined else '{}' }}",
      icon: 'mdi:cctv',
      entity_category: 'diagnostic',
    });
    add('switch', `${c}_detect`, cameraUp, {
      name: `${cam.name} detection`,
      command_topic: topics.set(cam.name),
      payload_on: '{"detect": true}',
      payload_off: '{"detect": false}',
      state_topic: topics.detect(cam.name),
      state_on: 'ON',
      state_off: 'OFF',
      icon: 'mdi:motion-sensor',
      entity_category: 'config',
    });
    if (cam.motion !== false) {
      add('binary_sensor', `${c}_motion`, cameraUp, {
        name: `${cam.name} motion`,
        // Home Assistant's binary_sensor reads ON/OFF by default: exactly what base/<camera>/motion carries.
        state_topic: topics.motion(cam.name),
        device_class: 'motion',
      });
    }
    add('number', `${c}_min_score`, cameraUp, {
      name: `${cam.name} minimum score`,
      command_topic: topics.set(cam.name),
      command_template: '{"min_score": {{ value }}}',
      state_topic: topics.minScore(cam.name),
      min: 0.1,
      max: 1,
      step: 0.05,
      mode: 'box',
      entity_category: 'config',
    });
    add('sensor', `${c}_fps`, [...cameraUp, { topic: topics.stats(), ...ONLINE_OFFLINE, value_template: `{{ 'online' if ${inStats} else 'offline' }}` }], {
      name: `${cam.name} detection fps`,
      state_topic: topics.stats(),
      value_template: `{{ (value_json.cameras[${key}].detect_fps | float(0)) | round(1) if ${inStats} else 0 }}`,
      state_class: 'measurement',
      unit_of_measurement: 'fps',
      entity_category: 'diagnostic',
    });
    const hasP50 = `${inStats} and value_json.cameras[${key}].inference_p50_ms is defined and value_json.cameras[${key}].inference_p50_ms is not none`;
    add(
      'sensor',
      `${c}_inference_ms`,
      [...cameraUp, { topic: topics.stats(), ...ONLINE_OFFLINE, value_template: `{{ 'online' if ${hasP50} else 'offline' }}` }],
      {
        name: `${cam.name} inference time`,
        state_topic: topics.stats(),
        value_template: `{{ (value_json.cameras[${key}].inference_p50_ms | float(0)) | round(1) if ${hasP50} else 0 }}`,
        state_class: 'measurement',
        device_class: 'duration',
        unit_of_measurement: 'ms',
        entity_category: 'diagnostic',
      },
    );
    if (cam.snapshot !== false) {
      add('image', `${c}_snapshot`, cameraUp, {
        name: `${cam.name} snapshot`,
        image_topic: topics.snapshot(cam.name),
        content_type: 'image/jpeg',
      });
      add('button', `${c}_take_snapshot`, cameraUp, {
        name: `${cam.name} take snapshot`,
        command_topic: topics.set(cam.name),
        payload_press: '{"snapshot": true}',
        icon: 'mdi:camera',
      });
    }
  }
  return out;
}
