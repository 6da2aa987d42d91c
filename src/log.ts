import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// syslog priorities for journald's stdout stream: `journalctl -p warning` then filters for real.
const SYSLOG_PRIORITY: Record<number, number> = { 60: 2, 50: 3, 40: 4, 30: 6, 20: 7, 10: 7 };

function journaldStream(): DestinationStream {
  return {
    write(line: string): void {
      const level = /"level":(\d+)/.exec(line)?.[1];
      const prio = SYSLOG_PRIORITY[Number(level)] ?? 6;
      process.stdout.write(`<${prio}>${line}`);
    },
  };
}

function destination(format: 'auto' | 'json' | 'pretty', toStderr: boolean): DestinationStream | undefined {
  if (process.env.JOURNAL_STREAM && !toStderr) return journaldStream();
  const tty = toStderr ? process.stderr.isTTY : process.stdout.isTTY;
  const pretty = format === 'pretty' || (format === 'auto' && tty === true);
  if (pretty) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pinoPretty = require('pino-pretty') as (o: object) => DestinationStream;
    return pinoPretty({ colorize: tty === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination: toStderr ? 2 : 1 });
  }
  // pino's default is JSON lines on stdout; tools that print results there log to stderr instead.
  return toStderr ? pino.destination({ dest: 2, sync: true }) : undefined;
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
      formatters: { level: (label, number) => ({ level: number, lvl: label }) },
    },
    destination(options.format ?? 'auto', options.stderr === true),
  );
}

/** A logger that drops everything: for tests of pure logic and library-style calls. */
export const silentLogger: Logger = pino({ level: 'silent' });
