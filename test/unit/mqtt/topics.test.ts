import { Topics, topicLevelProblem, publishTopicProblem, cameraNameProblem, labelNameProblem, labelLevel } from '../../../src/mqtt/topics';

describe('Topics', () => {
  const t = new Topics('lookout/pi4');

  it('builds the contract topics', () => {
    expect(t.availability()).toBe('lookout/pi4/availability');
    expect(t.stats()).toBe('lookout/pi4/stats');
    expect(t.detections('front')).toBe('lookout/pi4/front/detections');
    expect(t.timing('front')).toBe('lookout/pi4/front/timing');
    expect(t.events('front')).toBe('lookout/pi4/front/events');
    expect(t.snapshot('front')).toBe('lookout/pi4/front/snapshot');
    expect(t.status('front')).toBe('lookout/pi4/front/status');
    expect(t.count('front', 'person')).toBe('lookout/pi4/front/person');
    expect(t.count('front', 'traffic light')).toBe('lookout/pi4/front/traffic_light');
    expect(t.count('front', 'car', 'driveway')).toBe('lookout/pi4/front/driveway/car');
    expect(t.set()).toBe('lookout/pi4/set');
    expect(t.setResult('front')).toBe('lookout/pi4/front/set/result');
  });

  it('refuses names that would break the topic tree', () => {
    expect(() => t.detections('fr+nt')).toThrow(/camera name 'fr\+nt'.*wildcard/);
    expect(() => t.detections('a/b')).toThrow(/'\/'/);
    expect(() => t.detections('')).toThrow(/non-empty/);
    expect(() => t.detections('stats')).toThrow(/reserved/);
    expect(() => t.count('front', 'status')).toThrow(/label 'status' is reserved/);
    expect(() => t.count('front', 'car', 'set')).toThrow(/zone 'set' is reserved/);
    expect(() => t.count('front', 'a#')).toThrow(/wildcard/);
    expect(() => new Topics('lookout/#')).toThrow(/base topic/);
    expect(() => new Topics('/lookout')).toThrow(/base topic/);
  });

  it('parses command topics', () => {
    expect(t.parseSetTopic('lookout/pi4/set')).toBeUndefined();
    expect(t.parseSetTopic('lookout/pi4/front/set')).toBe('front');
    expect(t.parseSetTopic('lookout/pi4/front/set/result')).toBeNull();
    expect(t.parseSetTopic('lookout/other/set')).toBeNull();
  });
});

describe('topic checks', () => {
  it('levels', () => {
    expect(topicLevelProblem('front_door-2')).toBeNull();
    expect(topicLevelProblem('$SYS')).toMatch(/\$/);
    expect(topicLevelProblem('a\u0000b')).toMatch(/control/);
    expect(topicLevelProblem('x'.repeat(200))).toMatch(/bytes/);
    expect(cameraNameProblem('availability')).toMatch(/reserved/);
    expect(labelNameProblem('Fire Hydrant')).toBeNull();
    expect(labelLevel(' Fire  Hydrant ')).toBe('fire_hydrant');
  });
  it('whole topics', () => {
    expect(publishTopicProblem('a/b/c')).toBeNull();
    expect(publishTopicProblem('a/+/c')).toMatch(/wildcard/);
    expect(publishTopicProblem('a/#')).toMatch(/wildcard/);
    expect(publishTopicProblem('a//b')).toMatch(/empty level/);
    expect(publishTopicProblem('a/\ud800')).toMatch(/UTF-8/);
    expect(publishTopicProblem('')).toMatch(/non-empty/);
  });
});
