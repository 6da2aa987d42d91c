/**
 * The frame pipe between a capture process and the daemon: length-prefixed binary records on an
 * extra stdio pipe (fd 4 in the child), so pixel data is never JSON- or base64-encoded and the IPC
 * channel stays free for small control messages.
 *
 * Record: magic 'LKF1' · u32 LE header length · u32 LE data length · header (UTF-8 JSON) · data.
 * capture-child.js writes the same layout (it cannot import this file).
 */

export const FRAME_MAGIC = 0x3146_4b4c; // 'LKF1' read as u32 LE
const PREFIX = 12;
/** Larger than any real frame (8K BGR is 100 MB); a bigger length means the stream is corrupt. */
const MAX_DATA = 256 * 1024 * 1024;
const MAX_HEADER = 64 * 1024;

/** What the capture process says about a frame; pixel data travels beside it. */
export interface FrameHeader {
  /** Frame number within this capture process, from 1. */
  seq: number;
  /** Epoch ms when the read returned (for paced files: when the frame became due). */
  ts: number;
  /** How long the read (grab + decode) took, ms. */
  captureMs: number;
  /** Size of `data` after transforms. */
  width: number;
  height: number;
  /** Position in the media for files/images, ms. */
  positionMs?: number;
  /** Pass over a looping file or folder, from 0. */
  loop?: number;
}

export interface FrameRecord {
  header: FrameHeader;
  data: Buffer;
}

export function encodeFrameRecord(header: FrameHeader, data: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(PREFIX);
  prefix.writeUInt32LE(FRAME_MAGIC, 0);
  prefix.writeUInt32LE(json.length, 4);
  prefix.writeUInt32LE(data.length, 8);
  return [prefix, json, data];
}

/**
 * Reassembles records from arbitrary chunks. Pixel data is copied once, straight into a buffer of
 * its final size. A corrupt stream raises through `onError` and the parser stops (the capture
 * process is then restarted; resynchronising on a byte stream is not worth the risk).
 */
export class FrameStreamParser {
  private prefix = Buffer.alloc(PREFIX);
  private prefixFill = 0;
  private header: Buffer | undefined;
  private headerFill = 0;
  private data: Buffer | undefined;
  private dataFill = 0;
  private failed = false;

  constructor(
    private readonly onRecord: (r: FrameRecord) => void,
    private readonly onError: (e: Error) => void,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.failed) {
      if (this.prefixFill < PREFIX) {
        const n = Math.min(PREFIX - this.prefixFill, chunk.length - off);
        chunk.copy(this.prefix, this.prefixFill, off, off + n);
        this.prefixFill += n;
        off += n;
        if (this.prefixFill === PREFIX && !this.startRecord()) return;
        continue;
      }
      if (this.header && this.headerFill < this.header.length) {
        const n = Math.min(this.header.length - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
      } else if (this.data && this.dataFill < this.data.length) {
        const n = Math.min(this.data.length - this.dataFill, chunk.length - off);
        chunk.copy(this.data, this.dataFill, off, off + n);
        this.dataFill += n;
        off += n;
      }
      this.finishIfComplete();
    }
    // A record with empty data completes without consuming bytes.
    if (!this.failed) this.finishIfComplete();
  }

  private startRecord(): boolean {
    const magic = this.prefix.readUInt32LE(0);
    const hlen = this.prefix.readUInt32LE(4);
    const dlen = this.prefix.readUInt32LE(8);
    if (magic !== FRAME_MAGIC || hlen === 0 || hlen > MAX_HEADER || dlen > MAX_DATA) {
      this.fail(`corrupt frame stream (magic 0x${magic.toString(16)}, header ${hlen} B, data ${dlen} B)`);
      return false;
    }
    this.header = Buffer.allocUnsafe(hlen);
    this.headerFill = 0;
    this.data = Buffer.allocUnsafe(dlen);
    this.dataFill = 0;
    return true;
  }

  private finishIfComplete(): void {
    if (!this.header || !this.data) return;
    if (this.headerFill < this.header.length || this.dataFill < this.data.length) return;
    let header: FrameHeader;
    try {
      header = JSON.parse(this.header.toString('utf8')) as FrameHeader;
    } catch (e) {
      this.fail(`corrupt frame header: ${(e as Error).message}`);
      return;
    }
    const data = this.data;
    this.header = undefined;
    this.data = undefined;
    this.prefixFill = 0;
    this.onRecord({ header, data });
  }

  private fail(message: string): void {
    this.failed = true;
    this.onError(new Error(message));
  }
}
