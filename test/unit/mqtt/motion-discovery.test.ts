// The motion state as Home Assistant sees it: a binary_sensor of device_class motion reading the
// retained base/<camera>/motion, unavailable with its camera like the camera's other entities, and
// no sensor for a camera whose motion gating is off (its retained state is cleared).
import { buildDiscovery } from '../../../src/mqtt/discovery';
import { Topics } from '../../../src/mqtt/topics';
import { renderHa } from '../../support/ha-templates';

const topics = new Topics('lookout/pi4');
const options = { prefix: 'homeassistant', deviceId: 'pi4', version: '0.2.0' };

test('a camera with motion gating has a motion binary_sensor with the availability of its detect switch', () => {
  const configs = buildDiscovery(topics, options, [{ name: 'porch', labels: ['person'] }]);
  const motion = configs.get('homeassistant/binary_sensor/pi4/porch_motion/config');
  expect(motion).toMatchObject({ state_topic: 'lookout/pi4/porch/motion', device_class: 'motion', availability_mode: 'all' });
  expect(motion?.availability).toEqual(configs.get('homeassistant/switch/pi4/porch_detect/config')?.availability);
  // The camera's status decides availability: an erroring camera's motion shows unavailable.
  const cameraUp = (motion?.availability as { topic: string; value_template?: string }[]).find((a) => a.topic === topics.status('porch'));
  expect(renderHa(cameraUp?.value_template ?? '', JSON.stringify({ v: 1, state: 'streaming', since: 1, reason: null }))).toBe('online');
  expect(renderHa(cameraUp?.value_template ?? '', JSON.stringify({ v: 1, state: 'error', since: 1, reason: 'gone' }))).toBe('offline');
});

test('a camera with motion gating off has no motion entity', () => {
  const configs = buildDiscovery(topics, options, [{ name: 'porch', labels: ['person'], motion: false }]);
  expect([...configs.keys()].filter((k) => k.includes('motion'))).toEqual([]);
});

test('motion is a reserved level: no label or zone can take base/<camera>/motion', () => {
  expect(() => topics.count('porch', 'motion')).toThrow(/reserved/);
});
