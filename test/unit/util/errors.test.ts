import { errorMessage } from '../../../src/util/errors';
import { createLogger } from '../../../src/log';

describe('errorMessage', () => {
  test('an Error gives its message', () => {
    expect(errorMessage(new TypeError('bad input'))).toBe('bad input');
  });

  test('a thrown string (what @u4/opencv4nodejs throws) is the message itself', () => {
    expect(errorMessage('VideoCapture::read - failed')).toBe('VideoCapture::read - failed');
  });

  test('an object with a message, a plain object and nothing at all say something readable', () => {
    expect(errorMessage({ message: 'from a worker' })).toBe('from a worker');
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(null)).toBe('null');
  });

  test('a circular object does not throw', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(errorMessage(o)).toBe('[object Object]');
  });
});

describe('what was thrown, in words and in the log (`{ err }`)', () => {
  const outer = new Error('loading model ssd', { cause: new Error('ENOENT: no such file') });
  const cases: { name: string; thrown: unknown; words: string }[] = [
    { name: 'a thrown string', thrown: 'VideoCapture::read - failed', words: 'VideoCapture::read - failed' },
    { name: 'an Error with a cause', thrown: outer, words: 'loading model ssd: ENOENT: no such file' },
    { name: 'a plain object', thrown: { code: 7 }, words: '{"code":7}' },
    { name: 'undefined', thrown: undefined, words: 'undefined' },
  ];

  // Under systemd the logger writes to process.stdout: the journal line, or `<prio>` + JSON.
  function logged(format: 'auto' | 'json', thrown: unknown): string {
    const written: string[] = [];
    const saved = process.env.JOURNAL_STREAM;
    process.env.JOURNAL_STREAM = '8:12345';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      createLogger({ format, level: 'info' }).child({ component: 'test' }).error({ err: thrown, camera: 'porch' }, 'it failed');
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.JOURNAL_STREAM;
      else process.env.JOURNAL_STREAM = saved;
    }
    expect(written).toHaveLength(1);
    return written[0];
  }

  test.each(cases)('$name: errorMessage says "$words"', ({ thrown, words }) => {
    expect(errorMessage(thrown)).toBe(words);
  });

  test.each(cases)('$name: the journal line carries the same words on one line', ({ thrown, words }) => {
    expect(logged('auto', thrown)).toBe(`<3>[test porch] it failed err=${JSON.stringify(words)}\n`);
  });

  test.each(cases)('$name: the JSON log has err.message', ({ thrown, words }) => {
    const line = logged('json', thrown);
    expect(line.startsWith('<3>{')).toBe(true);
    const record = JSON.parse(line.slice(3)) as { err: { message: string; stack?: string } };
    expect(record.err.message).toBe(words);
  });

  test('an Error keeps its stack, its cause and its code in the JSON log', () => {
    const e = Object.assign(new Error('cannot open /dev/video0', { cause: outer }), { code: 'EBUSY' });
    const record = JSON.parse(logged('json', e).slice(3)) as { err: { type: string; message: string; stack: string; code: string } };
    expect(record.err).toMatchObject({ type: 'Error', code: 'EBUSY', message: 'cannot open /dev/video0: loading model ssd: ENOENT: no such file' });
    expect(record.err.stack).toContain('caused by: Error: loading model ssd');
  });

  test('a wrapper whose message already says its cause does not say it twice', () => {
    const wrapped = new Error('reading frame: VideoCapture::read - failed', { cause: new Error('VideoCapture::read - failed') });
    expect(errorMessage(wrapped)).toBe('reading frame: VideoCapture::read - failed');
  });

  test('a cause chain that loops ends', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause?: unknown }).cause = b;
    expect(errorMessage(a)).toBe('a: b');
  });
});
