// The CCCD QR text and the access keys derived from it: good input, every kind of bad input.
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { checkDigit } from '../../drivers/emrtd/check-digit.js';
import { mrzInformation } from '../../drivers/emrtd/bac.js';
import { NO_EXPIRY_MRZ, anniversary, bacCandidates, canFromIdNumber, documentNumberFromIdNumber, expiryFor, lawAt } from '../../drivers/qr/access-key.js';
import { buildCccdQr, classifyQrText, parseCccdQr, qrBytesToText } from '../../drivers/qr/cccd-qr.js';
import { demoPerson } from '../helpers/cards.js';

const DEMO = '000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng|10042021';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isIdkError(e)) {
      expect(e.messages.vi.length).toBeGreaterThan(10);
      expect(e.messages.en.length).toBeGreaterThan(10);
      return e.code;
    }
    throw e;
  }
  return 'no error';
}

describe('CCCD QR text', () => {
  it('parses the demo person written by hand in the card format', async () => {
    const p = await demoPerson('cccd');
    const q = parseCccdQr(DEMO);
    expect(q).toEqual({
      idNumber: p.idNumber,
      oldIdNumber: p.oldIdNumber,
      fullName: p.fullName,
      dateOfBirth: p.dateOfBirth,
      sex: 'Nữ',
      placeOfResidence: p.placeOfResidence,
      dateOfIssue: p.dateOfIssue,
      extra: [],
      warnings: [],
    });
  });

  it('builds exactly the text it parses', async () => {
    const p = await demoPerson('cccd');
    const text = buildCccdQr({ ...p, idNumber: p.idNumber!, sex: p.sex, placeOfResidence: p.placeOfResidence!, dateOfIssue: p.dateOfIssue! });
    expect(text).toBe(DEMO);
  });

  it('keeps an empty old ID number as null and fields added by later cards as extra', () => {
    const q = parseCccdQr('000190012345||Lê Thị Mẫu|17051990|Nữ|Thành phố Mô Phỏng|10042021|Lê Văn Thử|Phạm Thị Nghiệm');
    expect(q.oldIdNumber).toBeNull();
    expect(q.extra).toEqual(['Lê Văn Thử', 'Phạm Thị Nghiệm']);
  });

  it('normalises decomposed (NFD) Vietnamese to NFC', () => {
    const nfd = DEMO.normalize('NFD');
    expect(nfd).not.toBe(DEMO);
    expect(parseCccdQr(nfd).fullName).toBe('Lê Thị Mẫu');
    expect(parseCccdQr(nfd).fullName).toBe('Lê Thị Mẫu'.normalize('NFC'));
  });

  it('warns when the ID number does not encode the birth year or sex (Circular 07/2016 art. 7)', () => {
    expect(parseCccdQr(DEMO.replace('|Nữ|', '|Nam|')).warnings).toEqual(['ID number does not encode the sex']);
    expect(parseCccdQr(DEMO.replace('17051990', '17051991')).warnings).toEqual(["ID number does not encode the date of birth's year"]);
  });

  it('tells foreign, truncated, malformed, over-long and badly encoded codes apart', () => {
    expect(code(() => parseCccdQr('https://example.org/x'))).toBe('QR_FOREIGN');
    expect(code(() => parseCccdQr('00020101021238570010A000000727'))).toBe('QR_FOREIGN');
    expect(code(() => parseCccdQr(''))).toBe('QR_FOREIGN');
    expect(code(() => parseCccdQr('0001900123'))).toBe('QR_TRUNCATED');
    expect(code(() => parseCccdQr(DEMO.split('|').slice(0, 4).join('|')))).toBe('QR_TRUNCATED');
    expect(code(() => parseCccdQr(DEMO.split('|').slice(0, 6).join('|')))).toBe('QR_TRUNCATED');
    expect(code(() => parseCccdQr(DEMO + '|x'.repeat(12)))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO + '|' + 'a'.repeat(2000)))).toBe('QR_TOO_LONG');
    expect(code(() => parseCccdQr(DEMO.replace('17051990', '31021990')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('17051990', '1990-05-17')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('10042021', '10041980')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('10042021', '00002021')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('|Nữ|', '|F|')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('Lê Thị Mẫu', 'Lê Thị\u0000Mẫu')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('Số 1', 'Số\u001b[31m1')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('Số 1', 'Số\u00851')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO + '\r\n'))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('Lê Thị Mẫu', 'Lê 3 Mẫu')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('000123456', '12345')))).toBe('QR_MALFORMED');
    expect(code(() => parseCccdQr(DEMO.replace('Lê Thị Mẫu', 'Lê \ud800 Mẫu')))).toBe('QR_BAD_ENCODING');
    expect(code(() => qrBytesToText(Uint8Array.of(0x30, 0xc3, 0x28)))).toBe('QR_BAD_ENCODING');
    expect(code(() => qrBytesToText(Uint8Array.of(0xed, 0xa0, 0x80)))).toBe('QR_BAD_ENCODING');
  });

  it('never puts the QR content in its error messages (personal data stays out of logs)', () => {
    for (const bad of [DEMO.replace('|Nữ|', '|X|'), DEMO.replace('17051990', '99999999'), DEMO.slice(0, 60)]) {
      try {
        parseCccdQr(bad);
        expect.unreachable();
      } catch (e) {
        if (!isIdkError(e)) throw e;
        expect(JSON.stringify([e.messages, e.detail])).not.toMatch(/Mẫu|1990|Thử Nghiệm/);
      }
    }
  });

  it('classifies other codes without treating them as errors', () => {
    expect(classifyQrText('https://vneid.gov.vn/x').kind).toBe('url');
    expect(classifyQrText('hello').kind).toBe('text');
    expect(classifyQrText(DEMO).kind).toBe('cccd');
    expect(code(() => classifyQrText('000190012345|only'))).toBe('QR_TRUNCATED');
  });
});

describe('access keys from the QR', () => {
  it('the CAN is the last 6 digits and the MRZ document number the last 9', () => {
    expect(canFromIdNumber('000190012345')).toBe('012345');
    expect(documentNumberFromIdNumber('000190012345')).toBe('190012345');
  });

  it('derives the demo card\'s printed expiry (issued at 30 under the 2014 law: valid to 40)', async () => {
    const p = await demoPerson('cccd');
    expect(expiryFor(p.dateOfBirth, p.dateOfIssue!, lawAt(p.dateOfIssue!))).toBe(p.dateOfExpiry);
    const c = bacCandidates(parseCccdQr(DEMO));
    expect(c[0]!.key).toEqual({ documentNumber: '190012345', dateOfBirth: '900517', dateOfExpiry: '300517' });
    expect(c[0]!.inferred).toBe(false);
    expect(new Set(c.map((x) => x.key.dateOfExpiry)).size).toBe(c.length);
    // Every candidate is a key BAC accepts.
    for (const k of c) expect(mrzInformation(k.key)).toHaveLength(24);
  });

  it('applies the renewal ages and the two-year grace window of each law', () => {
    const dob = '2000-03-15';
    // 2014 law: issued at 20 -> 25; at 23.5 (within 2 years of 25) -> 40; at 39 -> 60; at 59 -> none.
    expect(expiryFor(dob, '2020-01-01', 'law-59-2014')).toBe('2025-03-15');
    expect(expiryFor(dob, '2023-09-01', 'law-59-2014')).toBe('2040-03-15');
    expect(expiryFor(dob, '2023-03-14', 'law-59-2014')).toBe('2025-03-15');
    expect(expiryFor(dob, '2023-03-15', 'law-59-2014')).toBe('2040-03-15');
    expect(expiryFor(dob, '2039-01-01', 'law-59-2014')).toBe('2060-03-15');
    expect(expiryFor(dob, '2058-03-15', 'law-59-2014')).toBeNull();
    expect(expiryFor(dob, '2061-01-01', 'law-59-2014')).toBeNull();
    // 2023 law adds 14: a child's card issued at 6 lasts to 14; at 13 (grace) to 25.
    expect(expiryFor('2018-06-01', '2024-08-01', 'law-26-2023')).toBe('2032-06-01');
    expect(expiryFor('2011-06-01', '2024-08-01', 'law-26-2023')).toBe('2036-06-01');
    expect(lawAt('2024-06-30')).toBe('law-59-2014');
    expect(lawAt('2024-07-01')).toBe('law-26-2023');
  });

  it('gives a card with no expiry the MRZ date 991231, marked inferred', () => {
    const q = parseCccdQr('001055012345||Lê Văn Thử|01021955|Nam|Thành phố Mô Phỏng|05062021');
    const c = bacCandidates(q);
    expect(c[0]!.expiry).toBeNull();
    expect(c[0]!.key.dateOfExpiry).toBe(NO_EXPIRY_MRZ);
    expect(c[0]!.inferred).toBe(true);
    expect(checkDigit(NO_EXPIRY_MRZ)).toMatch(/^\d$/);
  });

  it('orders the boundary reading next when the issue date sits at the grace window\'s edge', () => {
    // Turns 23 (25 - 2) on 2013-03-15; issued 10 days before it: literal rule -> 25, a month's slack -> 40.
    const q = parseCccdQr('001090012345||Lê Văn Thử|15031990|Nam|Thành phố Mô Phỏng|05032013');
    const c = bacCandidates(q);
    expect(c.map((x) => x.key.dateOfExpiry)).toEqual(['150315', '300315']);
  });

  it('handles a 29 February birthday', () => {
    expect(anniversary('2004-02-29', 25)).toBe('2029-02-28');
    expect(anniversary('2004-02-29', 25, 'march')).toBe('2029-03-01');
    expect(anniversary('2004-02-29', 40)).toBe('2044-02-29');
    const c = bacCandidates(parseCccdQr('001304012345||Lê Thị Mẫu|29022004|Nữ|Thành phố Mô Phỏng|01012022'));
    expect(c.map((x) => x.key.dateOfExpiry)).toEqual(['290228', '290301']);
  });
});
