/** A real pino logger whose JSON lines the test can read. */
import pino from 'pino';
import type { Logger } from '../../../src/log';

export function capturingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string; [k: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger, lines };
}
