import { FrameStreamParser } from '../../../src/capture/frame-stream';
import { encodeFrameRecord, type FrameHeader, type FrameRecord } from '../../../src/capture/protocol';

function collect(): { records: FrameRecord[]; errors: Error[]; parser: FrameStreamParser } {
  const records: FrameRecord[] = [];
  const errors: Error[] = [];
  return {
    records,
    errors,
    parser: new FrameStreamParser(
      (r) => records.push(r),
      (e) => errors.push(e),
    ),
  };
}

const header = (seq: number, w = 4, h = 3): FrameHeader => ({ seq, ts: 1_700_000_000_000 + seq, captureMs: 1.5, width: w, height: h, positionMs: seq * 100 });
const pixels = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

test('records split across arbitrary chunks come out whole and in order', () => {
  const stream = Buffer.concat([
    ...encodeFrameRecord(header(1), pixels(36, 1)),
    ...encodeFrameRecord(header(2, 8, 8), pixels(192, 2)),
    ...encodeFrameRecord(header(3, 1, 1), pixels(3, 3)),
  ]);
  for (const size of [1, 2, 7, 13, 64, stream.length]) {
    const { records, errors, parser } = collect();
    for (let off = 0; off < stream.length; off += size) parser.push(stream.subarray(off, off + size));
    expect(errors).toEqual([]);
    expect(records.map((r) => r.header)).toEqual([header(1), header(2, 8, 8), header(3, 1, 1)]);
    expect(records.map((r) => [r.data.length, r.data[0], r.data[r.data.length - 1]])).toEqual([
      [36, 1, 1],
      [192, 2, 2],
      [3, 3, 3],
    ]);
  }
});

test('a record with no pixel data completes', () => {
  const { records, parser } = collect();
  parser.push(Buffer.concat(encodeFrameRecord(header(1, 0, 0), Buffer.alloc(0))));
  expect(records).toHaveLength(1);
});

test('a corrupt stream is reported once and parsing stops', () => {
  const { records, errors, parser } = collect();
  const good = Buffer.concat(encodeFrameRecord(header(1), pixels(36, 1)));
  parser.push(Buffer.concat([good, Buffer.from('garbage that is not a frame record')]));
  parser.push(good);
  expect(records).toHaveLength(1);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toMatch(/corrupt frame stream \(magic 0x/);
});
