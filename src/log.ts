import pino, { type Logger, type DestinationStream } from 'pino';
import { errorMessage } from './util/errors';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// syslog priorities for journald's stdout stream: `journalctl -p warning` then filters for real.
const SYSLOG_PRIORITY: Record<number, number> = { 60: 2, 50: 3, 40: 4, 30: 6, 20: 7, 10: 7 };

// Fields journald already records (time, pid, priority) or that only repeat the level.
const JOURNAL_DROPPED = new Set(['time', 'pid', 'hostname', 'level', 'lvl', 'msg']);

function journalValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object' && 'message' in value && typeof value.message === 'string') {
    // An error object: its message is what a reader of the journal needs; the stack stays in JSON logs.
    return JSON.stringify(value.message);
  }
  return JSON.stringify(value) ?? String(value);
}

/**
 * One pino JSON line as one readable journal line: `<prio>[component camera] message key=value ...`.
 * Journald adds the time, the unit and the PID itself, and splits entries on newlines, so the line
 * carries neither and keeps to one line. Unparseable input passes through with priority info.
 */
export function journalLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `<6>${json.trimEnd()}\n`;
  }
  const prio = SYSLOG_PRIORITY[Number(record.level)] ?? 6;
  const where = [record.component, record.camera].filter((v) => typeof v === 'string' && v !== '').join(' ');
  const fields = Object.entries(record)
    .filter(([key, value]) => !JOURNAL_DROPPED.has(key) && key !== 'component' && key !== 'camera' && value !== undefined)
    .map(([key, value]) => `${key}=${journalValue(value)}`);
  const message = typeof record.msg === 'string' ? record.msg : '';
  const text = [where ? `[${where}]` : '', message, ...fields].filter((part) => part !== '').join(' ');
  return `<${prio}>${text.replace(/\r?\n/g, ' | ')}\n`;
}

function journaldStream(json: boolean): DestinationStream {
  return {
    write(line: string): void {
      if (!json) {
        process.stdout.write(journalLine(line));
        return;
      }
      const level = /"level":(\d+)/.exec(line)?.[1];
      const prio = SYSLOG_PRIORITY[Number(level)] ?? 6;
      process.stdout.write(`<${prio}>${line}`);
    },
  };
}

function destination(format: 'auto' | 'json' | 'pretty', toStderr: boolean): DestinationStream | undefined {
  // Under systemd stdout is the journal: readable text with priorities unless JSON is asked for (a log
  // shipper); `pretty` still means pretty.
  if (process.env.JOURNAL_STREAM && !toStderr && format !== 'pretty') return journaldStream(format === 'json');
  const tty = toStderr ? process.stderr.isTTY : process.stdout.isTTY;
  const pretty = format === 'pretty' || (format === 'auto' && tty === true);
  if (pretty) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a terminal, never under journald
    const pinoPretty = require('pino-pretty') as (o: object) => DestinationStream;
    return pinoPretty({ colorize: tty === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination: toStderr ? 2 : 1 });
  }
  // pino's default is JSON lines on stdout; tools that print results there log to stderr instead.
  return toStderr ? pino.destination({ dest: 2, sync: true }) : undefined;
}

/**
 * `{ err }` is how every part logs what was thrown, whatever it was. An Error keeps pino's fields
 * (type, stack with causes, own properties such as `code`) with the message of `errorMessage`, so a
 * journal line and a problem list say the same words; anything else (OpenCV's thrown strings, plain
 * objects) becomes `{ message }` so `err.message` is always there for whoever reads the JSON.
 */
function serializeErr(e: unknown): unknown {
  const errorLike = e instanceof Error || (e !== null && typeof e === 'object' && 'message' in e && typeof e.message === 'string');
  if (errorLike) return { ...pino.stdSerializers.err(e as Error), message: errorMessage(e) };
  return { message: errorMessage(e) };
}

// pino drops undefined fields before serializing, so `{ err: undefined }` (a `reject()` without a
// reason) would vanish from the line; it is logged as what it is instead.
function logFields(fields: Record<string, unknown>): Record<string, unknown> {
  return 'err' in fields && fields.err === undefined ? { ...fields, err: { message: errorMessage(undefined) } } : fields;
}

export interface LogOptions {
  level?: LogLevel;
  format?: 'auto' | 'json' | 'pretty';
  /** Log to stderr: for commands whose stdout is their result (detect --json, bench). */
  stderr?: boolean;
}

/** The process logger. Parts receive `logger.child({ component })`, never create their own. */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? (process.env.LOOKOUT_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label, number) => ({ level: number, lvl: label }), log: logFields },
      serializers: { err: serializeErr },
    },
    destination(options.format ?? 'auto', options.stderr === true),
  );
}

/** A logger that drops everything: for tests of pure logic and library-style calls. */
export const silentLogger: Logger = pino({ level: 'silent' });
