// Basic Access Control, Doc 9303 Part 11 §4.3 and §9.7: keys from the MRZ, mutual
// authentication with 3DES, and 3DES secure messaging afterwards.
import { randomBytes } from 'node:crypto';
import type { Command, Response } from '../apdu/apdu.js';
import { concat, equal, xor } from '../../core/bytes.js';
import { IdkError, malformed } from '../../core/errors.js';
import { checkDigit } from './check-digit.js';
import { KDF_ENC, KDF_MAC, kdf, pad, retailMac, sha, tdesDecrypt, tdesEncrypt } from './crypto.js';
import { SecureMessaging } from './secure-messaging.js';

export interface MrzKey {
  documentNumber: string;
  /** YYMMDD */
  dateOfBirth: string;
  /** YYMMDD */
  dateOfExpiry: string;
}

export type Random = (n: number) => Uint8Array;
export const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

function badMrzKey(why: string): IdkError {
  return new IdkError('BAD_ACCESS_KEY', {
    vi: `Khóa truy cập MRZ không hợp lệ: ${why}. Nhập dạng SỐ-GIẤY-TỜ:YYMMDD:YYMMDD.`,
    en: `Invalid MRZ access key: ${why}. Use DOCUMENT-NUMBER:YYMMDD:YYMMDD.`,
  });
}

/**
 * The MRZ information of Part 11 §9.7.1: document number, date of birth and date of
 * expiry, each with its check digit. A number shorter than 9 characters is padded with
 * '<'; a longer one is used whole, as the chip computes it from the full number.
 */
export function mrzInformation(key: MrzKey): string {
  const doc = key.documentNumber.toUpperCase().replace(/\s/g, '').padEnd(9, '<');
  if (!/^[0-9A-Z<]+$/.test(doc)) throw badMrzKey('document number has characters outside A-Z, 0-9');
  for (const [name, d] of [
    ['date of birth', key.dateOfBirth],
    ['date of expiry', key.dateOfExpiry],
  ] as const) {
    if (!/^\d{6}$/.test(d)) throw badMrzKey(`${name} must be YYMMDD`);
  }
  return doc + checkDigit(doc) + key.dateOfBirth + checkDigit(key.dateOfBirth) + key.dateOfExpiry + checkDigit(key.dateOfExpiry);
}

export function parseMrzKey(text: string): MrzKey {
  const parts = text.split(':');
  if (parts.length !== 3) throw badMrzKey('expected three parts separated by ":"');
  const key = { documentNumber: parts[0]!, dateOfBirth: parts[1]!, dateOfExpiry: parts[2]! };
  mrzInformation(key);
  return key;
}

export function bacKeys(mrzInfo: string): { kSeed: Uint8Array; kEnc: Uint8Array; kMac: Uint8Array } {
  const kSeed = sha('sha1', new TextEncoder().encode(mrzInfo)).slice(0, 16);
  return { kSeed, kEnc: kdf(kSeed, KDF_ENC, '3DES'), kMac: kdf(kSeed, KDF_MAC, '3DES') };
}

function sessionFrom(kIfd: Uint8Array, kIc: Uint8Array, rndIc: Uint8Array, rndIfd: Uint8Array): SecureMessaging {
  const seed = xor(kIfd, kIc);
  const ssc = concat(rndIc.subarray(4, 8), rndIfd.subarray(4, 8));
  return new SecureMessaging('3DES', kdf(seed, KDF_ENC, '3DES'), kdf(seed, KDF_MAC, '3DES'), ssc);
}

function accessDenied(): IdkError {
  return new IdkError('ACCESS_DENIED', {
    vi: 'Chip từ chối khóa truy cập: số giấy tờ, ngày sinh, ngày hết hạn (MRZ) hoặc CAN không đúng với thẻ này.',
    en: 'The chip refused the access key: the document number, dates (MRZ) or CAN do not match this card.',
  });
}

/** Terminal side of BAC: GET CHALLENGE, EXTERNAL AUTHENTICATE, session keys. */
export async function bacTerminal(
  send: (c: Command) => Promise<Response>,
  key: MrzKey,
  random: Random = defaultRandom,
): Promise<SecureMessaging> {
  const { kEnc, kMac } = bacKeys(mrzInformation(key));
  const challenge = await send({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
  if (challenge.sw !== 0x9000 || challenge.data.length !== 8) {
    throw new IdkError('BAC_UNSUPPORTED', {
      vi: 'Chip không hỗ trợ BAC (không trả lời GET CHALLENGE).',
      en: 'The chip does not support BAC (GET CHALLENGE failed).',
    });
  }
  const rndIc = challenge.data;
  const rndIfd = random(8);
  const kIfd = random(16);
  const eIfd = tdesEncrypt(kEnc, concat(rndIfd, rndIc, kIfd));
  const mIfd = retailMac(kMac, pad(eIfd, 8));
  const r = await send({ cla: 0, ins: 0x82, p1: 0, p2: 0, data: concat(eIfd, mIfd), le: 40 });
  if (r.sw !== 0x9000) throw accessDenied();
  if (r.data.length !== 40) throw malformed('BAC response length');
  const eIc = r.data.subarray(0, 32);
  if (!equal(retailMac(kMac, pad(eIc, 8)), r.data.subarray(32))) throw accessDenied();
  const plain = tdesDecrypt(kEnc, eIc);
  if (!equal(plain.subarray(0, 8), rndIc) || !equal(plain.subarray(8, 16), rndIfd)) throw accessDenied();
  return sessionFrom(kIfd, plain.subarray(16, 32), rndIc, rndIfd);
}

/** Chip side of BAC, for the software chip. */
export class BacChip {
  private rndIc: Uint8Array | undefined;
  private readonly keys: { kEnc: Uint8Array; kMac: Uint8Array };

  constructor(
    mrzInfo: string,
    private readonly random: Random = defaultRandom,
  ) {
    this.keys = bacKeys(mrzInfo);
  }

  handle(c: Command): { response: Response; sm?: SecureMessaging } {
    if (c.ins === 0x84) {
      this.rndIc = this.random(8);
      return { response: { data: this.rndIc, sw: 0x9000 } };
    }
    const rndIc = this.rndIc;
    this.rndIc = undefined;
    const fail = { response: { data: new Uint8Array(0), sw: 0x6300 } };
    if (!rndIc) return { response: { data: new Uint8Array(0), sw: 0x6985 } };
    if (!c.data || c.data.length !== 40) return { response: { data: new Uint8Array(0), sw: 0x6700 } };
    const { kEnc, kMac } = this.keys;
    const eIfd = c.data.subarray(0, 32);
    if (!equal(retailMac(kMac, pad(eIfd, 8)), c.data.subarray(32))) return fail;
    const plain = tdesDecrypt(kEnc, eIfd);
    if (!equal(plain.subarray(8, 16), rndIc)) return fail;
    const rndIfd = plain.subarray(0, 8);
    const kIc = this.random(16);
    const eIc = tdesEncrypt(kEnc, concat(rndIc, rndIfd, kIc));
    const response = { data: concat(eIc, retailMac(kMac, pad(eIc, 8))), sw: 0x9000 };
    return { response, sm: sessionFrom(plain.subarray(16, 32), kIc, rndIc, rndIfd) };
  }
}
