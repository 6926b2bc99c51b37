// Staff facts in the signed event (v2): a review's checks and an override's reason. Old
// events keep verifying: a body without staff facts is v1, byte for byte what v1 wrote, and
// the shape check both ends use accepts v1 and v2 and refuses anything mixed.
import { describe, expect, it } from 'vitest';
import { canonical, type Json } from '../../offline-cache/canonical.js';
import { type VerificationInput, bodyOf, bodyProblem, subjectOf } from '../../offline-cache/events.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { isIdkError } from '../../core/errors.js';

const ctx = (input: VerificationInput) => ({ id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', device: 'dev-1', seq: 1, at: 1_720_000_000_000, clock: null, subject: subjectOf(input, new Uint8Array(16)) });

describe('event v2: staff facts', () => {
  it('a verification without staff facts is the v1 body exactly: no staff key, v 1', () => {
    const input = syntheticVerification(1);
    const body = bodyOf(input, ctx(input));
    expect(body.v).toBe(1);
    expect(Object.keys(body)).not.toContain('staff');
    expect(bodyProblem(body)).toBeNull();
    // A body written before staff facts existed still passes the shape check unchanged.
    expect(bodyProblem(JSON.parse(canonical(body as unknown as Json)))).toBeNull();
  });

  it('checks and an override make a v2 body that both ends accept', () => {
    const base = syntheticVerification(2);
    const input: VerificationInput = { ...base, result: 'accepted', staff: { override: '  Chip hỏng, đã đối chiếu hộ chiếu  ', checked: ['FACE_BY_EYE', 'CARD_BY_EYE', 'FACE_BY_EYE'] } };
    const body = bodyOf(input, ctx(input));
    expect(body.v).toBe(2);
    expect(body.staff).toEqual({ override: 'Chip hỏng, đã đối chiếu hộ chiếu', checked: ['CARD_BY_EYE', 'FACE_BY_EYE'] });
    expect(bodyProblem(body)).toBeNull();
  });

  it('refuses mixed or malformed shapes', () => {
    const input = syntheticVerification(3);
    const v1 = bodyOf(input, ctx(input));
    expect(bodyProblem({ ...v1, staff: { checked: ['FACE_BY_EYE'] } })).toBe('unknown field staff');
    expect(bodyProblem({ ...v1, v: 2 })).toMatch(/^staff/);
    expect(bodyProblem({ ...v1, v: 2, staff: {} })).toBe('staff: empty');
    expect(bodyProblem({ ...v1, v: 2, staff: { checked: ['face by eye'] } })).toBe('staff: checked');
    expect(bodyProblem({ ...v1, v: 2, staff: { override: 'two\nlines' } })).toBe('staff: override');
    expect(bodyProblem({ ...v1, v: 2, staff: { override: 'x', extra: 1 } })).toBe('staff: unknown field');
    expect(bodyProblem({ ...v1, v: 3 })).toBe('version');
  });

  it('an override reason that is not one line of at most 200 characters is not recorded', () => {
    const base = syntheticVerification(4);
    for (const override of ['', 'a\nb', 'x'.repeat(201)]) {
      const input: VerificationInput = { ...base, staff: { override } };
      let err: unknown;
      try {
        bodyOf(input, ctx(input));
      } catch (e) {
        err = e;
      }
      expect(isIdkError(err, 'BAD_VERIFICATION_RECORD')).toBe(true);
    }
  });
});
