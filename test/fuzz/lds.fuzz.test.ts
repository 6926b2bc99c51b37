// Every LDS parser against random bytes and against valid files with flipped bytes,
// cut tails and altered length bytes: a parser may succeed or throw an IdkError with
// MALFORMED_DATA, never anything else, and never hang (the test timeout catches that).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { buildEfCom, parseEfCom } from '../../drivers/emrtd/ef-com.js';
import { buildDg1, cccdOptionalData, parseDg1 } from '../../drivers/emrtd/dg1.js';
import { buildDg2, parseDg2 } from '../../drivers/emrtd/dg2.js';
import { buildDg11, parseDg11 } from '../../drivers/emrtd/dg11.js';
import { buildDg12, parseDg12 } from '../../drivers/emrtd/dg12.js';
import { buildDg13, parseDg13 } from '../../drivers/emrtd/dg13.js';
import { syntheticFace } from '../../drivers/emulator/face-art.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 3000);

function onlyMalformed(parse: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    parse(bytes);
  } catch (e) {
    if (!isIdkError(e, 'MALFORMED_DATA')) throw e;
  }
}

const face = syntheticFace(3, { width: 48, height: 64 });

const valid: Record<string, { parse: (b: Uint8Array) => unknown; samples: Uint8Array[] }> = {
  'EF.COM': { parse: parseEfCom, samples: [buildEfCom([1, 2, 13, 14, 15])] },
  DG1: {
    parse: parseDg1,
    samples: [
      buildDg1({
        format: 'TD1', documentType: 'ID', issuingState: 'VNM', documentNumber: '190012345', surname: 'Đặng',
        givenNames: 'Thị Ngọc Ánh', nationality: 'VNM', dateOfBirth: '1990-02-03', sex: 'F',
        dateOfExpiry: '2030-02-03', optionalData: cccdOptionalData('079190012345'),
      }),
      buildDg1({
        format: 'TD1', documentType: 'I', issuingState: 'UTO', documentNumber: 'D23145890734', surname: 'Stevenson',
        givenNames: 'Peter John', nationality: 'UTO', dateOfBirth: '1934-07-12', sex: 'M', dateOfExpiry: '1995-07-12', optionalData: 'AB',
      }),
      buildDg1({
        format: 'TD3', documentType: 'P', issuingState: 'UTO', documentNumber: 'L898902C3', surname: 'Eriksson',
        givenNames: 'Anna Maria', nationality: 'UTO', dateOfBirth: '1974-08-12', sex: 'F', dateOfExpiry: '2012-04-15', optionalData: 'ZE184226B',
      }),
    ],
  },
  DG2: { parse: parseDg2, samples: [buildDg2([{ format: 'jpeg', width: face.width, height: face.height, image: face.jpeg }])] },
  DG11: {
    parse: parseDg11,
    samples: [buildDg11({ fullName: 'TRẦN<<BÍCH', otherNames: ['TRAN<<BICH'], fullDateOfBirth: '1999-10-20', placeOfBirth: 'Hà Nội', unknown: [] })],
  },
  DG12: { parse: parseDg12, samples: [buildDg12({ issuingAuthority: 'Cục Cảnh sát', dateOfIssue: '2021-07-02', otherPersons: ['LE<<B'], unknown: [] })] },
  DG13: {
    parse: parseDg13,
    samples: [
      buildDg13({
        idNumber: '001199012345', fullName: 'Nguyễn Thị Thu Hương', dateOfBirth: '1999-10-20', sex: 'Nữ', nationality: 'Việt Nam',
        ethnicity: 'Kinh', religion: 'Không', placeOfOrigin: 'Xã Giả Định', placeOfResidence: 'Phố Hư Cấu, Hà Nội',
        personalIdentification: 'Nốt ruồi', dateOfIssue: '2021-07-02', dateOfExpiry: 'Không thời hạn', fatherName: 'Nguyễn Văn Bình',
        motherName: null, spouseName: null, oldIdNumber: '012345678',
      }),
    ],
  },
};

/** A valid file changed in one of the ways a damaged or hostile chip would change it. */
function mutated(samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const sample = fc.constantFrom(...samples);
  const flip = fc.tuple(sample, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([s, i, x]) => {
    const out = s.slice();
    out[i % out.length]! ^= x;
    return out;
  });
  const flips = fc.tuple(sample, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 2, maxLength: 8 })).map(([s, edits]) => {
    const out = s.slice();
    for (const [i, v] of edits) out[i % out.length] = v;
    return out;
  });
  const truncate = fc.tuple(sample, fc.nat()).map(([s, n]) => s.subarray(0, n % s.length));
  // Length bytes sit right after tags; hitting them and their neighbours is the likeliest damage.
  const lengths = fc.tuple(sample, fc.nat(), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xff)).map(([s, i, v]) => {
    const out = s.slice();
    out[i % Math.min(out.length, 64)] = v;
    return out;
  });
  const splice = fc.tuple(sample, fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([s, i, extra]) => {
    const at = i % (s.length + 1);
    const out = new Uint8Array(s.length + extra.length);
    out.set(s.subarray(0, at));
    out.set(extra, at);
    out.set(s.subarray(at), at + extra.length);
    return out;
  });
  return fc.oneof(flip, flips, truncate, lengths, splice);
}

describe.each(Object.entries(valid))('%s parser under fuzzing', (_name, { parse, samples }) => {
  it('parses its valid samples', () => {
    for (const s of samples) expect(() => parse(s)).not.toThrow();
  });

  it('random bytes: only MALFORMED_DATA', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => onlyMalformed(parse, b)), { numRuns });
  });

  it('random bytes behind the right tag: only MALFORMED_DATA', () => {
    const tag = samples[0]![0]!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        const len = body.length < 0x80 ? [body.length] : [0x82, body.length >> 8, body.length & 0xff];
        onlyMalformed(parse, Uint8Array.from([tag, ...len, ...body]));
      }),
      { numRuns },
    );
  });

  it('mutated valid files: only MALFORMED_DATA', () => {
    fc.assert(fc.property(mutated(samples), (b) => onlyMalformed(parse, b)), { numRuns });
  });
});
