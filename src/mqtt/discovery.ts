// Home Assistant MQTT discovery: one retained config message per entity, all grouped under one
// device per Lookout and tied to the availability topic. Pure: builds topic → payload; the link
// publishes, replays and clears them.
import { labelLevel, type Topics } from './topics';

export interface DiscoveryCamera {
  name: string;
  /** Labels whose count and occupancy become entities. */
  labels: string[];
  /** Publish the snapshot topic as an `image` entity. Default true. */
  snapshot?: boolean;
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
}

type Json = Record<string, unknown>;

/** Characters Home Assistant accepts in node_id/object_id. */
export function discoveryId(text: string): string {
  return labelLevel(text).replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** Every discovery config topic → payload for these cameras. */
export function buildDiscovery(topics: Topics, options: DiscoveryOptions, cameras: DiscoveryCamera[]): Map<string, Json> {
  const node = discoveryId(options.deviceId);
  const device = {
    identifiers: [`lookout_${node}`],
    name: options.deviceName ?? `Lookout ${options.deviceId}`,
    manufacturer: 'Lookout',
    model: options.model ?? 'Lookout object detection',
    sw_version: options.version,
  };
  const common = {
    availability: [{ topic: topics.availability(), payload_available: 'online', payload_not_available: 'offline' }],
    device,
    origin: { name: 'Lookout', sw: options.version },
  };
  const out = new Map<string, Json>();
  const add = (component: string, objectId: string, config: Json): void => {
    const uniqueId = `lookout_${node}_${objectId}`;
    out.set(`${options.prefix}/${component}/${node}/${objectId}/config`, {
      ...config,
      unique_id: uniqueId,
      ...common,
    });
  };
  for (const cam of cameras) {
    const c = discoveryId(cam.name);
    for (const label of cam.labels) {
      const l = discoveryId(label);
      const countTopic = topics.count(cam.name, label);
      add('binary_sensor', `${c}_${l}_occupancy`, {
        name: `${cam.name} ${label} occupancy`,
        state_topic: countTopic,
        value_template: "{{ 'ON' if (value | int(0)) > 0 else 'OFF' }}",
        device_class: 'occupancy',
      });
      add('sensor', `${c}_${l}_count`, {
        name: `${cam.name} ${label} count`,
        state_topic: countTopic,
        state_class: 'measurement',
        unit_of_measurement: 'objects',
        icon: 'mdi:counter',
      });
    }
    const camStats = `value_json.cameras[${JSON.stringify(cam.name).replace(/"/g, "'")}]`;
    add('sensor', `${c}_fps`, {
      name: `${cam.name} detection fps`,
      state_topic: topics.stats(),
      value_template: `{{ ${camStats}.detect_fps | round(1) }}`,
      state_class: 'measurement',
      unit_of_measurement: 'fps',
      entity_category: 'diagnostic',
    });
    add('sensor', `${c}_inference_ms`, {
      name: `${cam.name} inference time`,
      state_topic: topics.stats(),
      value_template: `{{ ${camStats}.inference_p50_ms }}`,
      state_class: 'measurement',
      device_class: 'duration',
      unit_of_measurement: 'ms',
      entity_category: 'diagnostic',
    });
    if (cam.snapshot !== false) {
      add('image', `${c}_snapshot`, {
        name: `${cam.name} snapshot`,
        image_topic: topics.snapshot(cam.name),
        content_type: 'image/jpeg',
      });
    }
  }
  return out;
}
