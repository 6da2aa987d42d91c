import { buildDiscovery } from '../../../src/mqtt/discovery';
import { Topics } from '../../../src/mqtt/topics';

describe('buildDiscovery', () => {
  const topics = new Topics('lookout/pi4');
  const configs = buildDiscovery(topics, { prefix: 'homeassistant', deviceId: 'pi4', version: '1.2.3' }, [
    { name: 'front', labels: ['person', 'traffic light'] },
  ]);

  it('announces occupancy and count per label, controls, status, fps, inference time and the snapshot', () => {
    expect([...configs.keys()].sort()).toEqual([
      'homeassistant/binary_sensor/pi4/front_motion/config',
      'homeassistant/binary_sensor/pi4/front_person_occupancy/config',
      'homeassistant/binary_sensor/pi4/front_traffic_light_occupancy/config',
      'homeassistant/button/pi4/front_take_snapshot/config',
      'homeassistant/image/pi4/front_snapshot/config',
      'homeassistant/number/pi4/front_min_score/config',
      'homeassistant/sensor/pi4/front_fps/config',
      'homeassistant/sensor/pi4/front_inference_ms/config',
      'homeassistant/sensor/pi4/front_person_count/config',
      'homeassistant/sensor/pi4/front_status/config',
      'homeassistant/sensor/pi4/front_traffic_light_count/config',
      'homeassistant/switch/pi4/front_detect/config',
    ]);
  });

  it('ties every entity to one device, the availability topic and unique ids', () => {
    const ids = new Set<string>();
    for (const config of configs.values()) {
      expect((config.availability as unknown[])[0]).toEqual({
        topic: 'lookout/pi4/availability',
        payload_available: 'online',
        payload_not_available: 'offline',
      });
      expect((config.device as { identifiers: string[] }).identifiers).toEqual(['lookout_pi4']);
      expect(config.origin).toEqual({ name: 'Lookout', sw: '1.2.3' });
      ids.add(config.unique_id as string);
    }
    expect(ids.size).toBe(configs.size);
    const occ = configs.get('homeassistant/binary_sensor/pi4/front_traffic_light_occupancy/config')!;
    expect(occ.state_topic).toBe('lookout/pi4/front/traffic_light');
    expect((occ.availability as { topic: string }[]).map((a) => a.topic)).toEqual(['lookout/pi4/availability', 'lookout/pi4/front/status']);
    expect(configs.get('homeassistant/image/pi4/front_snapshot/config')!.image_topic).toBe('lookout/pi4/front/snapshot');
    expect(configs.get('homeassistant/switch/pi4/front_detect/config')!.state_topic).toBe('lookout/pi4/front/detect');
    // The status sensor shows `error` itself: it is not tied to the camera's availability.
    expect(configs.get('homeassistant/sensor/pi4/front_status/config')!.availability).toHaveLength(1);
  });
});
