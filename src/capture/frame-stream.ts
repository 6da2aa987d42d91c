/**
 * The daemon's side of the frame pipe (fd 4 in the capture process): reassembles the records that
 * protocol.ts lays out from whatever chunks the pipe delivers.
 */
import { FRAME_MAGIC, type FrameHeader, type FrameRecord, MAX_RECORD_DATA_BYTES, MAX_RECORD_HEADER_BYTES, RECORD_PREFIX_BYTES as PREFIX } from './protocol';
import { inputBuffers } from '../util/buffer-pool';
import { errorMessage } from '../util/errors';

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
    if (magic !== FRAME_MAGIC || hlen === 0 || hlen > MAX_RECORD_HEADER_BYTES || dlen > MAX_RECORD_DATA_BYTES) {
      this.fail(`corrupt frame stream (magic 0x${magic.toString(16)}, header ${hlen} B, data ${dlen} B)`);
      return false;
    }
    this.header = Buffer.allocUnsafe(hlen);
    this.headerFill = 0;
    // Model inputs come back from the inference worker to the pool (util/buffer-pool.ts).
    this.data = dlen >= inputBuffers.minBytes ? Buffer.from(inputBuffers.take(dlen)) : Buffer.allocUnsafe(dlen);
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
      this.fail(`corrupt frame header: ${errorMessage(e)}`);
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
