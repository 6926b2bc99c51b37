// Secure messaging of Doc 9303 Part 11 §9.8, both directions: the terminal wraps
// commands and unwraps responses; the software chip does the reverse with the same code.
import { type Command, type Response } from '../apdu/apdu.js';
import { concat, equal } from '../../core/bytes.js';
import { IdkError, malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import { aesCmac, aesDecrypt, aesEcbEncrypt, aesEncrypt, pad, retailMac, tdesDecrypt, tdesEncrypt, unpad } from './crypto.js';

export type SmKind = '3DES' | 'AES';

function smMacError(): IdkError {
  return new IdkError('SM_MAC_INVALID', {
    vi: 'Chữ ký bảo mật (MAC) trong phản hồi của chip sai: kết nối không an toàn hoặc chip bị giả mạo. Hãy đặt lại thẻ.',
    en: 'The chip answered with a wrong secure-messaging MAC: the link is unsafe or the chip is forged. Place the card again.',
  });
}

export class SecureMessaging {
  readonly block: number;
  private ssc: Uint8Array;

  constructor(
    readonly kind: SmKind,
    private readonly ksEnc: Uint8Array,
    private readonly ksMac: Uint8Array,
    ssc: Uint8Array,
  ) {
    this.block = kind === 'AES' ? 16 : 8;
    if (ssc.length !== this.block) throw new RangeError('SSC length must equal the block size');
    this.ssc = Uint8Array.from(ssc);
  }

  /** The send sequence counter, for tests and for resuming a session. */
  get counter(): Uint8Array {
    return Uint8Array.from(this.ssc);
  }

  private increment(): void {
    for (let i = this.ssc.length - 1; i >= 0; i--) {
      this.ssc[i] = (this.ssc[i]! + 1) & 0xff;
      if (this.ssc[i] !== 0) break;
    }
  }

  private encrypt(data: Uint8Array): Uint8Array {
    const p = pad(data, this.block);
    if (this.kind === '3DES') return tdesEncrypt(this.ksEnc, p);
    return aesEncrypt(this.ksEnc, p, aesEcbEncrypt(this.ksEnc, this.ssc));
  }

  private decrypt(data: Uint8Array): Uint8Array {
    if (data.length === 0 || data.length % this.block !== 0) throw malformed('SM cryptogram length');
    const plain =
      this.kind === '3DES' ? tdesDecrypt(this.ksEnc, data) : aesDecrypt(this.ksEnc, data, aesEcbEncrypt(this.ksEnc, this.ssc));
    return unpad(plain);
  }

  private mac(data: Uint8Array): Uint8Array {
    const input = concat(this.ssc, data);
    if (this.kind === '3DES') return retailMac(this.ksMac, pad(input, 8));
    return aesCmac(this.ksMac, pad(input, 16)).slice(0, 8);
  }

  /** Terminal side: protect a command. Increments the SSC. */
  wrap(c: Command): Command {
    this.increment();
    const cla = c.cla | 0x0c;
    const header = pad(Uint8Array.of(cla, c.ins, c.p1, c.p2), this.block);
    const odd = (c.ins & 1) === 1;
    const parts: Uint8Array[] = [];
    if (c.data && c.data.length > 0) {
      parts.push(odd ? tlv.encode(0x85, this.encrypt(c.data)) : tlv.encode(0x87, Uint8Array.of(1), this.encrypt(c.data)));
    }
    if (c.le !== undefined) {
      if (c.le > 256) {
        parts.push(tlv.encode(0x97, Uint8Array.of((c.le >> 8) & 0xff, c.le & 0xff)));
      } else {
        parts.push(tlv.encode(0x97, Uint8Array.of(c.le & 0xff)));
      }
    }
    const body = concat(...parts);
    const mac = this.mac(concat(header, body));
    const data = concat(body, tlv.encode(0x8e, mac));
    const extended = data.length > 255 || (c.le !== undefined && c.le > 256);
    return { cla, ins: c.ins, p1: c.p1, p2: c.p2, data, le: extended ? 65536 : 256 };
  }

  /** Terminal side: check and open a response. Increments the SSC. */
  unwrap(r: Response): Response {
    this.increment();
    if (r.data.length === 0) {
      // A chip reports some errors without SM objects (e.g. 6987/6988 when it lost the session).
      if (r.sw === 0x9000) throw malformed('SM response without MAC');
      return r;
    }
    const objs = tlv.decodeAll(r.data);
    const enc = objs.find((o) => o.tag === 0x87 || o.tag === 0x85);
    const status = tlv.find(objs, 0x99);
    const macObj = tlv.find(objs, 0x8e);
    if (!macObj) throw malformed('SM response without MAC');
    let macInput: Uint8Array = new Uint8Array(0);
    for (const o of objs) {
      if (o.tag === 0x8e) break;
      macInput = concat(macInput, tlv.encode(o.tag, o.value));
    }
    if (!equal(this.mac(macInput), macObj.value)) throw smMacError();
    let data: Uint8Array = new Uint8Array(0);
    if (enc) {
      const crypt = enc.tag === 0x87 ? enc.value.subarray(1) : enc.value;
      if (enc.tag === 0x87 && enc.value[0] !== 1) throw malformed('SM padding indicator');
      data = this.decrypt(crypt);
    }
    if (status && status.value.length !== 2) throw malformed('SM status object');
    const sw = status ? (status.value[0]! << 8) | status.value[1]! : r.sw;
    return { data, sw };
  }

  /** Chip side: check and open a protected command. Increments the SSC. */
  unwrapCommand(c: Command): Command {
    this.increment();
    if ((c.cla & 0x0c) !== 0x0c) throw new SmMissing();
    const objs = tlv.decodeAll(c.data ?? new Uint8Array(0));
    const macObj = tlv.find(objs, 0x8e);
    if (!macObj) throw new SmMissing();
    let macInput = pad(Uint8Array.of(c.cla, c.ins, c.p1, c.p2), this.block);
    for (const o of objs) {
      if (o.tag === 0x8e) break;
      macInput = concat(macInput, tlv.encode(o.tag, o.value));
    }
    if (!equal(this.mac(macInput), macObj.value)) throw new SmIncorrect();
    const out: Command = { cla: c.cla & ~0x0c, ins: c.ins, p1: c.p1, p2: c.p2 };
    const enc = objs.find((o) => o.tag === 0x87 || o.tag === 0x85);
    if (enc) out.data = this.decrypt(enc.tag === 0x87 ? enc.value.subarray(1) : enc.value);
    const le = tlv.find(objs, 0x97);
    if (le) {
      const v = le.value;
      const n = v.length === 1 ? v[0]! : v.length === 2 ? (v[0]! << 8) | v[1]! : -1;
      if (n < 0) throw new SmIncorrect();
      out.le = n === 0 ? (v.length === 1 ? 256 : 65536) : n;
    }
    return out;
  }

  /** Chip side: protect a response. Increments the SSC. */
  wrapResponse(r: Response): Response {
    this.increment();
    const parts: Uint8Array[] = [];
    if (r.data.length > 0) parts.push(tlv.encode(0x87, Uint8Array.of(1), this.encrypt(r.data)));
    parts.push(tlv.encode(0x99, Uint8Array.of(r.sw >> 8, r.sw & 0xff)));
    const body = concat(...parts);
    return { data: concat(body, tlv.encode(0x8e, this.mac(body))), sw: r.sw };
  }
}

class SmMissing extends IdkError {
  constructor() {
    super('SM_MISSING', { vi: 'Lệnh thiếu bảo mật', en: 'Secure messaging objects missing' });
  }
}
class SmIncorrect extends IdkError {
  constructor() {
    super('SM_INCORRECT', { vi: 'Bảo mật của lệnh sai', en: 'Secure messaging objects incorrect' });
  }
}

/** Bytes of SM overhead around `n` plaintext bytes in a response: DO87 + DO99 + DO8E. */
export function responseOverhead(n: number, block: number): number {
  if (n === 0) return 4 + 10;
  const crypt = Math.ceil((n + 1) / block) * block;
  const len = crypt + 1;
  const lenBytes = len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
  return 1 + lenBytes + len - n + 4 + 10;
}
