import { asChildMessage, asParentMessage, encodeFrameRecord, FRAME_MAGIC, frameRecordProblem } from '../../../src/capture/protocol';

test('only known message kinds pass the IPC boundary, each way', () => {
  expect(asChildMessage({ t: 'alive', captured: 3, readingMs: -1 })).toEqual({ t: 'alive', captured: 3, readingMs: -1 });
  expect(asChildMessage({ t: 'lost', reason: 'gone', captured: 9 })).toEqual({ t: 'lost', reason: 'gone', captured: 9 });
  for (const junk of [null, undefined, 'alive', 42, [], {}, { t: 7 }, { t: 'want' }, { t: 'reboot' }]) expect(asChildMessage(junk)).toBeUndefined();
  expect(asParentMessage({ t: 'want' })).toEqual({ t: 'want' });
  expect(asParentMessage({ t: 'alive' })).toBeUndefined();
});

test("a record's layout: magic, header length, data length, JSON header, then the pixels untouched", () => {
  const pixels = Buffer.from([1, 2, 3, 4, 5, 6]);
  const [prefix, json, data] = encodeFrameRecord({ seq: 1, ts: 5, captureMs: 0.5, width: 2, height: 1 }, pixels) as [Buffer, Buffer, Buffer];
  expect(prefix.readUInt32LE(0)).toBe(FRAME_MAGIC);
  expect(prefix.subarray(0, 4).toString('latin1')).toBe('LKF1');
  expect(prefix.readUInt32LE(4)).toBe(json.length);
  expect(prefix.readUInt32LE(8)).toBe(6);
  expect(JSON.parse(json.toString('utf8'))).toEqual({ seq: 1, ts: 5, captureMs: 0.5, width: 2, height: 1 });
  expect(data).toBe(pixels);
});

test('a record that cannot be a BGR frame of its stated size is named', () => {
  const h = { seq: 4, ts: 0, captureMs: 1, width: 2, height: 2 };
  expect(frameRecordProblem({ header: h, data: Buffer.alloc(12) })).toBeUndefined();
  expect(frameRecordProblem({ header: h, data: Buffer.alloc(11) })).toBe('frame 4 has 11 bytes for 2x2 BGR');
  expect(frameRecordProblem({ header: { ...h, width: 0 }, data: Buffer.alloc(0) })).toBe('frame 4 has size 0x2');
  expect(frameRecordProblem({ header: { ...h, seq: 0 }, data: Buffer.alloc(12) })).toBe('frame record with seq 0');
});
