import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { parseCommand, MAX_COMMAND_BYTES } from '../../../src/mqtt/commands';

const cams = new Set(['front', 'back']);
const cmd = (payload: string | Buffer, camera?: string, retained = false) =>
  parseCommand({ camera, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), retained }, cams);

describe('parseCommand', () => {
  it('accepts valid commands and splits off the id', () => {
    expect(cmd('{"detect":false,"id":"r1"}', 'front')).toEqual({ ok: true, request: { camera: 'front', command: { detect: false }, id: 'r1' } });
    expect(cmd('{"min_scores":{"person":0.7},"min_score":0.5}')).toEqual({ ok: true, request: { command: { min_scores: { person: 0.7 }, min_score: 0.5 } } });
    expect(cmd('{"schedule_override":"auto"}').ok).toBe(true);
    expect(cmd('{"snapshot":true}', 'back').ok).toBe(true);
  });

  it.each([
    ['not JSON', '{detect:false}', /not JSON/],
    ['an array', '[1]', /JSON object/],
    ['empty', '', /empty/],
    ['wrong type', '{"detect":"no"}', /\/detect must be boolean/],
    ['score out of range', '{"min_score":1.5}', /\/min_score/],
    ['unknown key', '{"explode":true}', /explode/],
    ['only an id', '{"id":"x"}', /no command/],
    ['bad override', '{"schedule_override":"maybe"}', /schedule_override/],
  ])('refuses %s with a reason', (_what, payload, reason) => {
    const r = cmd(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });

  it('refuses oversized payloads before parsing them', () => {
    const r = cmd(Buffer.alloc(MAX_COMMAND_BYTES + 1, 0x20));
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/too large: 16385 bytes/) });
  });

  it('does not obey a retained command, and says why (keeping the id)', () => {
    expect(cmd('{"detect":false,"id":"old"}', 'front', true)).toEqual({ ok: false, id: 'old', error: expect.stringMatching(/retained command not obeyed/) });
  });

  it('refuses unknown cameras, naming the known ones', () => {
    expect(cmd('{"detect":true}', 'garage')).toEqual({ ok: false, error: expect.stringMatching(/unknown camera 'garage' \(known: front, back\)/) });
  });
});
