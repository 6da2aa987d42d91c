/**
 * The one way to turn whatever was thrown into words for a log line or a problem list.
 * @u4/opencv4nodejs throws plain strings, some libraries throw objects with a `message`, code may
 * throw anything; `String(e)` of an object is "[object Object]", which tells nobody anything.
 * An Error's `cause` chain is appended (`outer: inner`) unless the outer message already says it, as
 * wrappers like cvError do; the words are then the same as the logger's `{ err }` (src/log.ts).
 */
export function errorMessage(e: unknown): string {
  let message = ownMessage(e);
  const seen = new Set<unknown>([e]);
  for (let cause = causeOf(e); cause !== undefined && !seen.has(cause); cause = causeOf(cause)) {
    seen.add(cause);
    const said = ownMessage(cause).trim();
    if (said !== '' && !message.includes(said)) message += `: ${said}`;
  }
  return message;
}

function ownMessage(e: unknown): string {
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

function causeOf(e: unknown): unknown {
  return e !== null && typeof e === 'object' && 'cause' in e ? e.cause : undefined;
}
