import { errorMessage } from '../../../src/util/errors';

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
