// LDS data groups: each parser on bytes its builder wrote, on hand-written bytes from
// Doc 9303 examples, and on hostile input. All people here are fictitious.
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex, utf8 } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { encode } from '../../drivers/apdu/tlv.js';
import { mrzInformation } from '../../drivers/emrtd/bac.js';
import { buildEfCom, parseEfCom } from '../../drivers/emrtd/ef-com.js';
import {
  type Dg1Input,
  bacKeyFromDg1,
  buildDg1,
  cccdIdNumber,
  cccdOptionalData,
  mrzName,
  mrzNameComponent,
  parseDg1,
  yymmddToIso,
} from '../../drivers/emrtd/dg1.js';
import { buildDg2, parseDg2 } from '../../drivers/emrtd/dg2.js';
import { buildDg11, parseDg11 } from '../../drivers/emrtd/dg11.js';
import { buildDg12, parseDg12 } from '../../drivers/emrtd/dg12.js';
import { type Dg13, buildDg13, parseDg13, parseDg13Entries } from '../../drivers/emrtd/dg13.js';
import { syntheticFace } from '../../drivers/emulator/face-art.js';
import { thrown } from '../helpers/errors.js';


function expectMalformed(f: () => unknown): void {
  const e = thrown(f);
  expect(isIdkError(e, 'MALFORMED_DATA'), String(e)).toBe(true);
}

function expectInvalidInput(f: () => unknown): void {
  const e = thrown(f);
  expect(isIdkError(e, 'INVALID_INPUT'), String(e)).toBe(true);
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const dg1Bytes = (mrz: string) => encode(0x61, encode(0x5f1f, ascii(mrz)));
const NOW = new Date('2025-06-01T00:00:00Z');

describe('EF.COM', () => {
  // Doc 9303 Part 11 Appendix D.4: LDS 1.6, Unicode 4.0.0, DG1 and DG2.
  const D4 = '60145F0104303130365F36063034303030305C026175';

  it('parses the Doc 9303 Part 11 D.4 example', () => {
    expect(parseEfCom(fromHex(D4))).toEqual({ ldsVersion: '0106', unicodeVersion: '040000', dataGroups: [1, 2] });
  });

  it('builds the same bytes', () => {
    expect(hex(buildEfCom([1, 2], { ldsVersion: '0106' }))).toBe(D4);
  });

  it('round-trips a CCCD file list with the LDS 1.7 default', () => {
    const com = parseEfCom(buildEfCom([1, 2, 13, 14, 15]));
    expect(com).toEqual({ ldsVersion: '0107', unicodeVersion: '040000', dataGroups: [1, 2, 13, 14, 15] });
  });

  it('skips tags that are not data groups', () => {
    expect(parseEfCom(fromHex('60155F0104303130375F36063034303030305C0361997F')).dataGroups).toEqual([1]);
  });

  it('rejects hostile files', () => {
    expectMalformed(() => parseEfCom(fromHex(D4).subarray(0, 10))); // truncated
    expectMalformed(() => parseEfCom(fromHex('61' + D4.slice(2)))); // wrong tag
    expectMalformed(() => parseEfCom(fromHex('60FF' + D4.slice(4)))); // length past end
    expectMalformed(() => parseEfCom(fromHex(D4 + '00'))); // trailing byte
    expectMalformed(() => parseEfCom(fromHex('60105F0104303130365F3606303430303030'))); // no tag list
    expectMalformed(() => parseEfCom(fromHex('60145F01043031334A5F36063034303030305C026175'))); // version not digits
    expectMalformed(() => parseEfCom(new Uint8Array(0)));
    expectMalformed(() => parseEfCom(encode(0x60, encode(0x5f01, new Uint8Array(300_000)))));
  });

  it('refuses unknown data groups when building', () => {
    expectInvalidInput(() => buildEfCom([17]));
  });
});

describe('DG1', () => {
  // Doc 9303 Part 4 Appendix A: the TD3 specimen.
  const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  // Doc 9303 Part 5 Appendix A: the TD1 specimen.
  const TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
  // Doc 9303 Part 5 §4.2.4 note j / Part 11 D.2: a 12-character document number overflowing into the optional data.
  const TD1_LONG = ['I<UTOD23145890<7349<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<'];

  it('parses the TD3 specimen', () => {
    const d = parseDg1(dg1Bytes(TD3.join('')), { now: NOW });
    expect(d).toEqual({
      format: 'TD3',
      documentType: 'P',
      issuingState: 'UTO',
      documentNumber: 'L898902C3',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      nationality: 'UTO',
      dateOfBirth: '1974-08-12',
      sex: 'F',
      dateOfExpiry: '2012-04-15',
      optionalData: 'ZE184226B',
      mrz: TD3.join('\n'),
      checkDigitsValid: true,
    });
    expect(bacKeyFromDg1(d)).toEqual({ documentNumber: 'L898902C3', dateOfBirth: '740812', dateOfExpiry: '120415' });
  });

  it('rebuilds the TD3 specimen byte for byte', () => {
    const d = parseDg1(dg1Bytes(TD3.join('')), { now: NOW });
    expect(hex(buildDg1(d))).toBe(hex(dg1Bytes(TD3.join(''))));
  });

  it('parses and rebuilds the TD1 specimen', () => {
    const bytes = dg1Bytes(TD1.join(''));
    const d = parseDg1(bytes, { now: NOW });
    expect(d).toMatchObject({
      format: 'TD1',
      documentType: 'I',
      issuingState: 'UTO',
      documentNumber: 'D23145890',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      dateOfBirth: '1974-08-12',
      sex: 'F',
      dateOfExpiry: '2012-04-15',
      optionalData: '',
      checkDigitsValid: true,
    });
    expect(hex(buildDg1(d))).toBe(hex(bytes));
  });

  it('reads a document number that overflows into the optional data (TD1)', () => {
    const bytes = dg1Bytes(TD1_LONG.join(''));
    const d = parseDg1(bytes, { now: NOW });
    expect(d.documentNumber).toBe('D23145890734');
    expect(d.optionalData).toBe('');
    expect(d.checkDigitsValid).toBe(true);
    expect(bacKeyFromDg1(d)).toEqual({ documentNumber: 'D23145890734', dateOfBirth: '340712', dateOfExpiry: '950712' });
    // BAC over the full number and its own check digit (Doc 9303 Part 11 §4.3.2).
    expect(mrzInformation(bacKeyFromDg1(d))).toBe('D23145890734934071279507122');
    expect(hex(buildDg1(d))).toBe(hex(bytes));
  });

  it('builds a fictitious CCCD (TD1, ID, VNM) from Vietnamese names', () => {
    const id = '079190012345';
    const input: Dg1Input = {
      format: 'TD1',
      documentType: 'ID',
      issuingState: 'VNM',
      documentNumber: id.slice(3),
      surname: 'Đặng',
      givenNames: 'Thị Ngọc Ánh',
      nationality: 'VNM',
      dateOfBirth: '1990-02-03',
      sex: 'F',
      dateOfExpiry: '2030-02-03',
      optionalData: cccdOptionalData(id),
    };
    const d = parseDg1(buildDg1(input), { now: NOW });
    const lines = d.mrz.split('\n');
    expect(lines[0]).toBe(`IDVNM1900123457${id}<<7`);
    expect(lines[2]).toBe('DANG<<THI<NGOC<ANH<<<<<<<<<<<<');
    expect(d).toMatchObject({ documentType: 'ID', documentNumber: '190012345', surname: 'DANG', givenNames: 'THI NGOC ANH', checkDigitsValid: true });
    expect(cccdIdNumber(d)).toBe(id);
    expect(bacKeyFromDg1(d)).toEqual({ documentNumber: '190012345', dateOfBirth: '900203', dateOfExpiry: '300203' });
  });

  it('transliterates and truncates names per Doc 9303 Part 3', () => {
    expect(mrzNameComponent('Nguyễn Đình Đức')).toBe('NGUYEN<DINH<DUC');
    expect(mrzNameComponent("O'Brien-Smith")).toBe('OBRIEN<SMITH');
    expect(mrzNameComponent('Øster  Ærø')).toBe('OESTER<AEROE');
    const long = mrzName('Tôn Nữ Hoàng', 'Bảo Ngọc Phương Thảo Minh Châu', 30);
    expect(long).toHaveLength(30);
    expect(long).toBe('TON<NU<HOANG<<BAO<NGOC<PHUONG<');
    const d = parseDg1(
      buildDg1({
        format: 'TD3', documentType: 'P', issuingState: 'VNM', documentNumber: 'C1234567', surname: 'Tôn Nữ Hoàng',
        givenNames: 'Bảo Ngọc Phương Thảo Minh Châu Anh Thư', nationality: 'VNM', dateOfBirth: '2001-12-31',
        sex: 'X', dateOfExpiry: '2031-12-30', optionalData: '',
      }),
      { now: NOW },
    );
    expect(d.surname).toBe('TON NU HOANG');
    expect(d.givenNames).toBe('BAO NGOC PHUONG THAO MINH');
    expect(d.sex).toBe('X');
    expect(d.checkDigitsValid).toBe(true);
  });

  it('applies the century rule and keeps unknown date parts', () => {
    expect(yymmddToIso('250101', 'birth', NOW)).toBe('2025-01-01');
    expect(yymmddToIso('250701', 'birth', NOW)).toBe('1925-07-01');
    expect(yymmddToIso('740812', 'expiry', NOW)).toBe('2074-08-12');
    expect(yymmddToIso('74<<<<', 'birth', NOW)).toBe('1974');
    expect(yymmddToIso('7408<<', 'birth', NOW)).toBe('1974-08');
    expect(yymmddToIso('<<<<<<', 'birth', NOW)).toBe('<<<<<<');
  });

  it('reports wrong check digits without failing the parse', () => {
    const bad = [TD3[0], TD3[1]!.replace('7408122', '7408123')].join('');
    expect(parseDg1(dg1Bytes(bad), { now: NOW }).checkDigitsValid).toBe(false);
    const badTd1 = [TD1[0], TD1[1]!.slice(0, 29) + '7', TD1[2]].join('');
    expect(parseDg1(dg1Bytes(badTd1), { now: NOW }).checkDigitsValid).toBe(false);
  });

  it('rejects hostile files', () => {
    expectMalformed(() => parseDg1(dg1Bytes(TD3.join('').toLowerCase())));
    expectMalformed(() => parseDg1(dg1Bytes(TD3.join('').slice(0, 80))));
    expectMalformed(() => parseDg1(dg1Bytes(TD3.join('') + '<')));
    expectMalformed(() => parseDg1(encode(0x61, encode(0x5f20, ascii(TD3.join(''))))));
    expectMalformed(() => parseDg1(encode(0x62, encode(0x5f1f, ascii(TD3.join(''))))));
    expectMalformed(() => parseDg1(dg1Bytes(TD3.join('')).subarray(0, 50)));
    expectMalformed(() => parseDg1(concat(fromHex('615B5F1F'), ascii(TD3.join(''))))); // length byte missing
    expectMalformed(() => parseDg1(encode(0x61, encode(0x5f1f, new Uint8Array(300_000).fill(0x3c))))); // huge field
  });

  it('refuses builder input that cannot be written', () => {
    const base: Dg1Input = {
      format: 'TD3', documentType: 'P', issuingState: 'UTO', documentNumber: 'L898902C3', surname: 'ERIKSSON',
      givenNames: 'ANNA', nationality: 'UTO', dateOfBirth: '1974-08-12', sex: 'F', dateOfExpiry: '2012-04-15', optionalData: '',
    };
    expectInvalidInput(() => buildDg1({ ...base, documentNumber: 'L898902C3X' }));
    expectInvalidInput(() => buildDg1({ ...base, dateOfBirth: '12/08/1974' }));
    expectInvalidInput(() => buildDg1({ ...base, issuingState: 'UTOPIA' }));
    expectInvalidInput(() => buildDg1({ ...base, documentNumber: 'L89-8902' }));
    expectInvalidInput(() => buildDg1({ ...base, format: 'TD1', documentNumber: 'A'.repeat(23) }));
  });
});

describe('DG2', () => {
  // A hand-assembled DG2 around a 4-byte stand-in JPEG (SOI, EOI), lengths checked by hand.
  const KNOWN =
    '7543' + // DG2, 67 bytes
    '7F6140' + // biometric information group template, 64 bytes
    '020101' + // one template
    '7F603A' + // biometric information template, 58 bytes
    'A103810102' + // header: biometric type 02, face
    '5F2E32' + // biometric data block, 50 bytes
    '46414300' + '30313000' + '00000032' + '0001' + // 'FAC\0' '010\0' length 50, one face
    '00000024' + '0000' + '000000' + '000000' + '0000' + '000000' + '000000' + // block of 36, no feature points
    '01' + '00' + '0002' + '0003' + '01' + '02' + '0000' + '0000' + // full frontal, JPEG, 2 x 3
    'FFD8FFD9';

  it('parses hand-assembled bytes', () => {
    const { faces } = parseDg2(fromHex(KNOWN));
    expect(faces).toHaveLength(1);
    expect(faces[0]).toMatchObject({ format: 'jpeg', width: 2, height: 3 });
    expect(hex(faces[0]!.image)).toBe('FFD8FFD9');
  });

  it('round-trips the synthetic face at a realistic size', () => {
    const f = syntheticFace(7);
    const dg2 = buildDg2([{ format: 'jpeg', width: f.width, height: f.height, image: f.jpeg }]);
    expect(dg2.length).toBeGreaterThan(14_000);
    expect(dg2.length).toBeLessThan(21_000);
    const { faces } = parseDg2(dg2);
    expect(faces).toHaveLength(1);
    expect(faces[0]).toMatchObject({ format: 'jpeg', width: 240, height: 320 });
    expect(hex(faces[0]!.image)).toBe(hex(f.jpeg));
  });

  it('detects JPEG 2000 from the bytes and keeps several faces', () => {
    const j2k = fromHex('FF4FFF51000000');
    const jp2 = fromHex('0000000C6A5020200D0A870A00');
    const { faces } = parseDg2(buildDg2([
      { format: 'jpeg', width: 10, height: 12, image: j2k }, // the bytes win over the declared type
      { format: 'jpeg2000', width: 11, height: 13, image: jp2 },
    ]));
    expect(faces.map((f) => [f.format, f.width, f.height])).toEqual([['jpeg2000', 10, 12], ['jpeg2000', 11, 13]]);
  });

  it('rejects lengths that disagree with the bytes', () => {
    const k = KNOWN;
    expectMalformed(() => parseDg2(fromHex(k.replace('00000032', '00000033')))); // record length
    expectMalformed(() => parseDg2(fromHex(k.replace('00000024', '00000025')))); // block past end
    expectMalformed(() => parseDg2(fromHex(k.replace('00000024', '00000010')))); // block shorter than its headers
    expectMalformed(() => parseDg2(fromHex(k.replace('020101', '020102')))); // count
    expectMalformed(() => parseDg2(fromHex(k.replace('46414300', '46414400')))); // not 'FAC\0'
    expectMalformed(() => parseDg2(fromHex(k.replace('30313000', '30333000')))); // version 030
    expectMalformed(() => parseDg2(fromHex(k.replace('0100000200030102', '0105000200030102').replace('FFD8FFD9', '00000000'))));
    expectMalformed(() => parseDg2(fromHex(k).subarray(0, 40)));
    expectMalformed(() => parseDg2(fromHex('6143' + k.slice(4))));
  });

  it('refuses builder input that cannot be written', () => {
    expectInvalidInput(() => buildDg2([]));
    expectInvalidInput(() => buildDg2([{ format: 'jpeg', width: 0, height: 1, image: new Uint8Array(2) }]));
  });
});

describe('DG11 and DG12', () => {
  it('parses hand-written DG11 bytes', () => {
    const bytes = fromHex('6B1D' + '5C045F0E5F2B' + '5F0E09' + hex(ascii('NGUYEN<<A')) + '5F2B08' + hex(ascii('19900101')));
    expect(parseDg11(bytes)).toEqual({ fullName: 'NGUYEN<<A', fullDateOfBirth: '1990-01-01', unknown: [] });
  });

  it('round-trips DG11 with Vietnamese text, other names and unknown fields', () => {
    const d = {
      fullName: 'TRẦN<<THỊ<BÍCH',
      otherNames: ['TRẦN<<BÍCH', 'TRAN<<BICH'],
      personalNumber: '001199012345',
      fullDateOfBirth: '1999-10-20',
      placeOfBirth: 'Hà Nội',
      permanentAddress: 'Số 1<Phố Giả Định<Hà Nội',
      telephone: '0900000000',
      proofOfCitizenship: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9),
      unknown: [{ tag: 0x5f50, value: Uint8Array.of(1, 2, 3) }],
    };
    expect(parseDg11(buildDg11(d))).toEqual(d);
  });

  it('round-trips DG12', () => {
    const d = {
      issuingAuthority: 'Cục Cảnh sát QLHC về TTXH',
      dateOfIssue: '2021-07-02',
      otherPersons: ['LE<<VAN<B'],
      endorsements: 'NONE',
      personalizationTime: '20210702093000',
      personalizationDeviceSerial: 'SN-0001',
      imageOfFront: Uint8Array.of(1),
      unknown: [],
    };
    expect(parseDg12(buildDg12(d))).toEqual(d);
  });

  it('rejects hostile files', () => {
    const good = buildDg11({ fullName: 'A<<B', unknown: [] });
    expectMalformed(() => parseDg11(concat(fromHex('6B0A5C025F0E5F0E03'), Uint8Array.of(0x41, 0xc3, 0x28)))); // invalid UTF-8
    expectMalformed(() => parseDg11(fromHex('6B065F0E0341423C'))); // no tag list
    expectMalformed(() => parseDg11(fromHex('6B0E5C025F0E5F0E01415F0E0142'))); // repeated field
    expectMalformed(() => parseDg11(fromHex('6B0E5C01A0A00902010200005F0F0141').subarray(0, 14)));
    expectMalformed(() => parseDg11(fromHex('6B0D5C01A0A0080201025F0F014100'))); // count 2, one name
    expectMalformed(() => parseDg11(good.subarray(0, good.length - 1)));
    expectMalformed(() => parseDg12(good));
  });
});

describe('DG13 (Vietnamese CCCD)', () => {
  const person: Dg13 = {
    idNumber: '001199012345',
    fullName: 'Nguyễn Thị Thu Hương',
    dateOfBirth: '1999-10-20',
    sex: 'Nữ',
    nationality: 'Việt Nam',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Xã Giả Định, Huyện Thử Nghiệm, Tỉnh Mẫu',
    placeOfResidence: 'Số 99, Phố Hư Cấu, Phường Ví Dụ, Quận Minh Họa, Hà Nội',
    personalIdentification: 'Nốt ruồi C:1cm trên trước đầu lông mày phải',
    dateOfIssue: '2021-07-02',
    dateOfExpiry: '2039-10-20',
    fatherName: 'Nguyễn Văn Bình',
    motherName: 'Lê Thị Cúc',
    spouseName: null,
    oldIdNumber: '012345678',
  };

  it('round-trips a fictitious citizen with diacritics', () => {
    expect(parseDg13(buildDg13(person))).toEqual(person);
  });

  it('writes dates as on the card and keeps "Không thời hạn"', () => {
    const d = { ...person, dateOfExpiry: 'Không thời hạn', fatherName: null };
    const bytes = buildDg13(d);
    const entries = parseDg13Entries(bytes);
    expect(entries.get(3)).toEqual([['20/10/1999']]);
    expect(entries.get(12)).toEqual([['Không thời hạn']]);
    expect(entries.get(13)).toEqual([[], ['Lê Thị Cúc']]);
    expect(parseDg13(bytes)).toEqual(d);
  });

  it('reads the layout public readers describe, whatever precedes the entries', () => {
    const utf = (s: string) => encode(0x0c, utf8.encode(s));
    const entry = (i: number, ...v: Uint8Array[]) => encode(0x30, encode(0x02, Uint8Array.of(i)), ...v);
    const nfd = 'Trần Văn Đông'.normalize('NFD');
    const bytes = encode(
      0x6d,
      encode(
        0x30,
        encode(0x02, Uint8Array.of(1)), // a version number
        encode(0x06, fromHex('2B0601040182')), // an identifier
        entry(1, utf('079190012345')),
        entry(2, utf(nfd)),
        entry(3, utf('03/02/1990')),
        entry(4, utf('Nam')),
        entry(13, encode(0x30, utf('Trần Văn Ân'), utf('Phạm Thị Bé'))), // both parents in one sequence
        entry(14), // no spouse: an entry without value
        entry(15, utf('')),
        entry(16, utf('123456789')),
        entry(40, utf('something new')),
      ),
    );
    const d = parseDg13(bytes);
    expect(d.fullName).toBe('Trần Văn Đông'.normalize('NFC'));
    expect(d.fullName).not.toBe(nfd);
    expect(d).toMatchObject({
      idNumber: '079190012345',
      dateOfBirth: '1990-02-03',
      sex: 'Nam',
      fatherName: 'Trần Văn Ân',
      motherName: 'Phạm Thị Bé',
      spouseName: null,
      oldIdNumber: '123456789',
      religion: null,
    });
    expect(parseDg13Entries(bytes).get(40)).toEqual([['something new']]);
  });

  it('keeps text that is not a dd/mm/yyyy date as the chip wrote it', () => {
    const d = parseDg13(buildDg13({ ...person, dateOfBirth: '1950' }));
    expect(d.dateOfBirth).toBe('1950');
  });

  it('rejects hostile files', () => {
    const good = buildDg13(person);
    expectMalformed(() => parseDg13(good.subarray(0, good.length - 3))); // truncated
    expectMalformed(() => parseDg13(concat(Uint8Array.of(0x6e), good.subarray(1)))); // wrong tag
    expectMalformed(() => parseDg13(fromHex('6D0A300830060201020C01C3'))); // invalid UTF-8 (lone lead byte)
    expectMalformed(() => parseDg13(fromHex('6D0C300A30080201020C03C328A1'))); // invalid UTF-8 sequence
    expectMalformed(() => parseDg13(fromHex('6D0E300C30050201020C00300302010241'.slice(0, 34)))); // nested length past end
    expectMalformed(() => parseDg13(fromHex('6D10300E30050201010C0030050201010C00'))); // repeated entry
    expectMalformed(() => parseDg13(new Uint8Array(0)));
  });
});
