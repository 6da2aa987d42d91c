import { journalLine } from '../../../src/log';

describe('journal lines (log format under systemd)', () => {
  test('a track event reads as one line with its priority, where and what', () => {
    const json = JSON.stringify({
      level: 30,
      lvl: 'info',
      time: '2026-12-02T10:00:00.000Z',
      pid: 42,
      component: 'tracker',
      camera: 'porch',
      msg: 'track start',
      label: 'person',
      score: 0.87,
      track_id: 12,
    });
    expect(journalLine(json)).toBe('<6>[tracker porch] track start label=person score=0.87 track_id=12\n');
  });

  test('levels map to syslog priorities so journalctl -p filters for real', () => {
    expect(journalLine(JSON.stringify({ level: 50, msg: 'x' }))).toMatch(/^<3>/);
    expect(journalLine(JSON.stringify({ level: 40, msg: 'x' }))).toMatch(/^<4>/);
    expect(journalLine(JSON.stringify({ level: 20, msg: 'x' }))).toMatch(/^<7>/);
    expect(journalLine(JSON.stringify({ level: 60, msg: 'x' }))).toMatch(/^<2>/);
  });

  test('errors keep their message and never split the entry over lines', () => {
    const json = JSON.stringify({
      level: 50,
      msg: 'cannot open\ncamera',
      err: { message: 'No such file', stack: 'Error: No such file\n    at x' },
      source: '/dev/video0',
    });
    const line = journalLine(json);
    expect(line).toBe('<3>cannot open | camera err="No such file" source=/dev/video0\n');
    expect(line.slice(0, -1)).not.toContain('\n');
  });

  test('values with spaces are quoted, objects are JSON', () => {
    const line = journalLine(JSON.stringify({ level: 30, msg: 'MQTT broker', url: 'mqtt://a b', zones: ['drive', 'gate'] }));
    expect(line).toBe('<6>MQTT broker url="mqtt://a b" zones=["drive","gate"]\n');
  });

  test('a line that is not JSON passes through at info', () => {
    expect(journalLine('plain text\n')).toBe('<6>plain text\n');
  });
});
