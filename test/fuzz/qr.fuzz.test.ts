// Hostile QR text and scanner bytes: every input either parses into a consistent value or
// fails with a typed QR_*/SCAN_* error; nothing else escapes, nothing hangs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { bacCandidates, canFromIdNumber } from '../../drivers/qr/access-key.js';
import { buildCccdQr, classifyQrText, parseCccdQr, qrBytesToText } from '../../drivers/qr/cccd-qr.js';
import { HidPosAssembler } from '../../drivers/qr/hid-pos.js';
import { ScanFramer } from '../../drivers/qr/serial-scanner.js';
import { RUNS } from './runs.js';

const DEMO = '000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng|10042021';

function typed(f: () => unknown, prefix = /^(QR_|SCAN_)/): void {
  try {
    f();
  } catch (e) {
    if (!isIdkError(e) || !prefix.test(e.code)) throw e;
  }
}

const mutation = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.tuple(fc.nat(DEMO.length), fc.nat(40), fc.string({ unit: 'binary', maxLength: 20 })).map(([at, del, ins]) => DEMO.slice(0, at) + ins + DEMO.slice(at + del)),
  fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 20 }).map((f) => f.join('|')),
);

describe('QR fuzz', () => {
  it('parseCccdQr: a valid result or a typed error, and valid results round-trip', () => {
    fc.assert(
      fc.property(mutation, (text) => {
        let q;
        try {
          q = parseCccdQr(text);
        } catch (e) {
          if (isIdkError(e) && /^QR_/.test(e.code)) return;
          throw e;
        }
        expect(q.idNumber).toMatch(/^\d{12}$/);
        expect(q.dateOfIssue >= q.dateOfBirth).toBe(true);
        expect(parseCccdQr(buildCccdQr(q))).toEqual(q);
        expect(canFromIdNumber(q.idNumber)).toHaveLength(6);
        for (const c of bacCandidates(q)) expect(c.key.dateOfExpiry).toMatch(/^\d{6}$/);
      }),
      { numRuns: RUNS },
    );
  });

  it('classifyQrText and strict UTF-8 decoding never throw anything untyped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        typed(() => classifyQrText(qrBytesToText(bytes)));
      }),
      { numRuns: RUNS },
    );
  });

  it('the serial framer: any bytes in any chunking give whole codes or typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), fc.boolean(), (chunks, custom) => {
        const f = new ScanFramer(custom ? { prefix: Uint8Array.of(2), suffix: Uint8Array.of(3), maxLength: 200 } : { maxLength: 200 });
        for (const c of chunks) {
          for (const r of f.push(c)) {
            if (r.ok) expect(r.text).not.toMatch(/[\r\n]/);
            else expect(r.error.code).toMatch(/^(QR_|SCAN_)/);
          }
        }
        f.expire();
        expect(f.pending()).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('HID-POS reports: any 64-byte report parses or fails typed', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { maxLength: 10 }), (reports) => {
        const a = new HidPosAssembler(512);
        for (const r of reports) typed(() => a.push(r));
      }),
      { numRuns: RUNS },
    );
  });
});
