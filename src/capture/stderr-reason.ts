/**
 * OpenCV only says "failed to open capture"; the real reason (GStreamer's error, V4L2's, FFmpeg's)
 * goes to the capture process's stderr. These helpers turn those lines into a short reason for the
 * status topic and the log.
 */
import { redactUrl } from './source-spec';

/** Lines that never explain anything on their own. */
const NOISE = [
  /pipeline have not been created/i,
  /Cannot query video position/i,
  /^\(node:\d+\)/, // GLib assertion spam and Node warnings
  /^\s*$/,
  /^\*\*/,
];

/** One stderr line as a user would want to read it, or undefined for noise. */
export function cleanStderrLine(line: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- ESC starts the colour codes that GStreamer and OpenCV write
  let s = line.replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (NOISE.some((re) => re.test(s))) return undefined;
  // "[ WARN:0@0.034] global ./modules/videoio/src/cap_gstreamer.cpp (1226) open OpenCV | GStreamer warning: X"
  const ocv = /^\[\s*(?:WARN|ERROR|INFO)[^\]]*\]\s+global\s+\S+\s+\(\d+\)\s+\S+\s+(.*)$/.exec(s);
  if (ocv) s = ocv[1];
  s = s.replace(/^OpenCV \| GStreamer warning:\s*/, 'GStreamer: ');
  // "[tcp @ 0x55d0c0] Connection to tcp://... failed" (FFmpeg's log prefix)
  const ff = /^\[(\w+) @ 0x[0-9a-f]+\]\s*(.*)$/i.exec(s);
  if (ff) s = `ffmpeg ${ff[1]}: ${ff[2]}`;
  return redactUrl(s);
}

/** Up to `max` distinct useful messages from the last stderr lines, joined with '; '. */
export function stderrReason(lines: readonly string[], max = 3): string {
  const out: string[] = [];
  for (const line of lines) {
    const c = cleanStderrLine(line);
    if (c !== undefined && !out.includes(c)) out.push(c);
  }
  const picked = out.slice(-max);
  const text = picked.join('; ');
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}

/** Keeps the last `size` lines of a stream that arrives in arbitrary chunks. */
export class LineTail {
  private partial = '';
  readonly lines: string[] = [];

  constructor(
    private readonly size = 30,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4096) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const p of parts) this.add(p);
  }

  flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  clear(): void {
    this.lines.length = 0;
  }

  private add(line: string): void {
    const l = line.replace(/\r$/, '');
    if (l.trim() === '') return;
    this.lines.push(l);
    if (this.lines.length > this.size) this.lines.shift();
    this.onLine?.(l);
  }
}
