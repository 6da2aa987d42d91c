/**
 * The one way to turn whatever was thrown into words for a log line or a problem list.
 * @u4/opencv4nodejs throws plain strings, some libraries throw objects with a `message`, code may
 * throw anything; `String(e)` of an object is "[object Object]", which tells nobody anything.
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  if (e !== null && typeof e === 'object' && 'message' in e && typeof e.message === 'string') {
    return (e as { message: string }).message;
  }
  if (e === undefined) return 'undefined';
  try {
    const json = JSON.stringify(e);
    if (json !== undefined) return json;
  } catch {
    // circular: fall through
  }
  return Object.prototype.toString.call(e);
}
