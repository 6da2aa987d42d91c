import { topicMatches } from '../../support/mqtt-recorder';
import { waitFor } from '../../support/wait-for';

describe('the shared waitFor of the tests', () => {
  test('resolves with the value that met the condition', async () => {
    let n = 0;
    const v = await waitFor('n to reach 3', () => ++n, { until: (x) => x >= 3, intervalMs: 1 });
    expect(v).toBe(3);
  });

  test('a timeout names what was awaited and the last value seen', async () => {
    await expect(
      waitFor('the front camera to stream', () => ({ state: 'starting' }), { until: (s) => s.state === 'streaming', timeoutMs: 30 }),
    ).rejects.toThrow("timed out after 30 ms waiting for the front camera to stream; last seen: { state: 'starting' }");
  });

  test('an abort reason ends the wait at once, with the context', async () => {
    await expect(waitFor('detections', () => 0, { abortIf: () => 'daemon exited (code 1)', context: () => 'log tail', timeoutMs: 60_000 })).rejects.toThrow(
      'daemon exited (code 1) while waiting for detections; last seen: 0\nlog tail',
    );
  });
});

test('MQTT topic patterns: + is one level, # the rest', () => {
  expect(topicMatches('lookout/+/detections', 'lookout/front/detections')).toBe(true);
  expect(topicMatches('lookout/+/detections', 'lookout/front/x/detections')).toBe(false);
  expect(topicMatches('lookout/#', 'lookout/a/b/c')).toBe(true);
  expect(topicMatches('lookout/a', 'lookout/a/b')).toBe(false);
});
