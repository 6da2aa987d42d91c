import { LookoutMetrics, RunningCount } from '../../../src/http/metrics';

const times = { capture_ms: 5, wait_ms: 1, preprocess_ms: 1, inference_ms: 20, postprocess_ms: 1, publish_ms: 1, total_ms: 29, age_ms: 40 };

async function scrape(m: LookoutMetrics): Promise<string> {
  return m.registry.metrics();
}

describe('Prometheus metrics', () => {
  test("Node's standard metrics keep their standard names, so stock dashboards find them", async () => {
    const text = await scrape(new LookoutMetrics({ version: '0.2.0' }));
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/lookout_process_|lookout_nodejs_/);
  });

  test('build info names the version, Node and the CPU architecture', async () => {
    const text = await scrape(new LookoutMetrics({ version: '0.2.0', onnxruntime: '1.30.0' }));
    expect(text).toMatch(
      new RegExp(`^lookout_build_info\\{version="0.2.0",node="${process.versions.node}",onnxruntime="1.30.0",arch="${process.arch}"\\} 1$`, 'm'),
    );
  });

  test('dropped frames are a counter that never goes down, also when a camera restarts its count', async () => {
    const m = new LookoutMetrics();
    m.frame('porch', times, 3);
    m.frame('porch', times, 5);
    m.frame('porch', times, 1); // capture restarted: its running count began again
    const text = await scrape(m);
    expect(text).toMatch(/^# TYPE lookout_frames_dropped_total counter$/m);
    expect(text).toMatch(/^lookout_frames_dropped_total\{camera="porch"\} 6$/m);
    expect(text).toMatch(/^lookout_frames_processed_total\{camera="porch"\} 3$/m);
  });

  test('detections per label, MQTT drops by reason, temperature and throttle flags', async () => {
    const m = new LookoutMetrics();
    m.detected('porch', ['person', 'person', 'car']);
    m.mqtt(true, { dropped_offline_qos0: 4, dropped_backpressure_qos0: 0, dropped_queue_overflow: 1, dropped_expired: 0 });
    m.mqtt(false, { dropped_offline_qos0: 10, dropped_backpressure_qos0: 0, dropped_queue_overflow: 1, dropped_expired: 2 });
    m.host({ cpu_temp_c: 71.5, throttled: { under_voltage_now: true, freq_capped_now: false, throttled_now: false, soft_temp_limit_now: false } });
    const text = await scrape(m);
    expect(text).toMatch(/^lookout_detections_total\{camera="porch",label="person"\} 2$/m);
    expect(text).toMatch(/^lookout_mqtt_dropped_messages_total\{reason="offline_qos0"\} 10$/m);
    expect(text).toMatch(/^lookout_mqtt_dropped_messages_total\{reason="expired"\} 2$/m);
    expect(text).toMatch(/^lookout_mqtt_connected 0$/m);
    expect(text).toMatch(/^lookout_cpu_temperature_celsius 71.5$/m);
    expect(text).toMatch(/^lookout_throttled\{flag="under_voltage"\} 1$/m);
    expect(text).toMatch(/^lookout_throttled\{flag="throttled"\} 0$/m);
  });

  test('a running count turns into increments', () => {
    const c = new RunningCount();
    expect([c.delta('a', 2), c.delta('a', 2), c.delta('a', 7), c.delta('a', 3), c.delta('b', 1)]).toEqual([2, 0, 5, 3, 1]);
  });
});
