// The software chip: answers ICAO 9303 APDUs from a card image, with the access control
// and secure messaging of a real eMRTD. It is pure (no I/O): the in-process transport,
// the vpcd bridge and the tests all drive `process`.
import { type Command, type Response, type Transport, encodeResponse, parseCommand, SW } from '../apdu/apdu.js';
import { bytesToBig, concat, equal } from '../../core/bytes.js';
import { IdkError, isIdkError } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import { activeAuthenticationSignature, aaSignatureAlgorithm } from '../emrtd/active-auth.js';
import { BacChip, type Random, defaultRandom, mrzInformation } from '../emrtd/bac.js';
import { ChipAuthenticationChip } from '../emrtd/chip-auth.js';
import { bacKeyFromDg1, parseDg1 } from '../emrtd/dg1.js';
import { EMRTD_AID, type FileInfo, allFiles, fileByFid } from '../emrtd/files.js';
import { PaceChip } from '../emrtd/pace.js';
import { type SecurityInfo, parseCardAccess, parseDg14 } from '../emrtd/security-infos.js';
import { SecureMessaging } from '../emrtd/secure-messaging.js';
import { type CardImage, DEFAULT_LATENCY, type LatencyModel, modelledMs } from './card-image.js';

interface ChipOptions {
  random?: Random;
  latency?: LatencyModel;
}

const EMPTY = new Uint8Array(0);
const sw = (code: number): Response => ({ data: EMPTY, sw: code });

export function cardRemoved(detail?: Record<string, unknown>): IdkError {
  return new IdkError(
    'CARD_REMOVED',
    {
      vi: 'Thẻ bị nhấc ra khi đang đọc: hãy đặt lại thẻ lên đầu đọc và giữ yên.',
      en: 'The card was removed during reading: place it on the reader again and hold it still.',
    },
    detail === undefined ? undefined : { detail },
  );
}

export class SoftwareChip implements Transport {
  private df: 'MF' | 'APP' = 'MF';
  private ef: FileInfo | undefined;
  private sm: SecureMessaging | undefined;
  private bac: BacChip | undefined;
  private pace: PaceChip | undefined;
  /** Chip Authentication over an open SM session; absent without DG14 or its private key. */
  private ca: ChipAuthenticationChip | undefined;
  /** Keys to switch to once the current response has gone out under the old ones (CA). */
  private nextSm: SecureMessaging | undefined;
  private dg14: SecurityInfo[] | undefined;
  private readonly random: Random;
  /** Modelled contactless time of everything exchanged so far (benchmarks). */
  modelledMs = 0;
  apdus = 0;
  /** Time spent computing answers, so benchmarks can tell the reader's CPU from the chip's. */
  cpuMs = 0;
  private removeAfter: number | undefined;
  private present = true;

  constructor(
    readonly card: CardImage,
    private readonly options: ChipOptions = {},
  ) {
    this.random = options.random ?? defaultRandom;
    this.reset();
  }

  /** Power cycle: a fresh session, as after the card is lifted and placed again. */
  reset(): void {
    this.df = 'MF';
    this.ef = undefined;
    this.sm = undefined;
    this.nextSm = undefined;
    this.dg14 = undefined;
    this.ca = undefined;
    const dg14 = this.card.files.get('DG14');
    if (dg14) {
      try {
        this.dg14 = parseDg14(dg14);
        const key = this.card.secrets.chipAuthenticationKey;
        if (key) this.ca = new ChipAuthenticationChip(this.dg14, key);
      } catch {
        // A DG14 this chip cannot act on (hostile test data, unsupported groups): it serves the file and refuses CA.
        this.ca = undefined;
      }
    }
    const dg1 = this.card.files.get('DG1');
    this.bac = this.card.profile.bac && dg1 ? new BacChip(mrzInformation(bacKeyFromDg1(parseDg1(dg1))), this.random) : undefined;
    const access = this.card.files.get('EF.CardAccess');
    const paceInfo = access && this.card.profile.pace ? parseCardAccess(access).find((i) => i.kind === 'pace') : undefined;
    this.pace =
      paceInfo && paceInfo.kind === 'pace'
        ? new PaceChip({
            info: paceInfo,
            can: this.card.secrets.can,
            mrzInfo: dg1 ? mrzInformation(bacKeyFromDg1(parseDg1(dg1))) : undefined,
            random: this.random,
            chipAuthenticationPrivateKey: this.card.secrets.chipAuthenticationKey ? bytesToBig(this.card.secrets.chipAuthenticationKey) : undefined,
          })
        : undefined;
  }

  /** The card leaves the field after `n` more APDUs (n = 0: now). */
  removeAfterApdus(n: number): void {
    this.removeAfter = n;
  }

  place(): void {
    this.present = true;
    this.removeAfter = undefined;
    this.reset();
  }

  get isPresent(): boolean {
    return this.present;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.process(command);
  }

  process(command: Uint8Array): Uint8Array {
    if (this.removeAfter !== undefined && this.removeAfter-- <= 0) this.present = false;
    if (!this.present) throw cardRemoved({ apdu: this.apdus });
    this.apdus++;
    const t0 = performance.now();
    const out = encodeResponse(this.handleBytes(command));
    this.cpuMs += performance.now() - t0;
    this.modelledMs += modelledMs(this.options.latency ?? DEFAULT_LATENCY, command.length, out.length);
    return out;
  }

  private handleBytes(bytes: Uint8Array): Response {
    let c: Command & { extended: boolean };
    try {
      c = parseCommand(bytes);
    } catch {
      return sw(SW.WRONG_LENGTH);
    }
    if (c.extended && !this.card.profile.extendedLength) return sw(SW.WRONG_LENGTH);
    if (!this.sm) return this.limit(this.handle(c), c, false);
    // Under SM every command must be protected; anything else ends the session (Part 11 §9.8.4).
    let inner: Command;
    try {
      inner = this.sm.unwrapCommand(c);
    } catch (e) {
      this.sm = undefined;
      return sw(isIdkError(e, 'SM_MISSING') ? SW.SM_MISSING : SW.SM_INCORRECT);
    }
    const r = this.handle(inner);
    const wrapped = this.sm ? this.sm.wrapResponse(r) : r;
    if (this.nextSm) {
      this.sm = this.nextSm;
      this.nextSm = undefined;
    }
    return this.limit(wrapped, c, true);
  }

  /** A response larger than the APDU length allows is refused, as a chip's buffer would. */
  private limit(r: Response, c: { extended: boolean }, _protected: boolean): Response {
    const max = c.extended ? this.card.profile.maxResponse : 258;
    if (r.data.length + 2 > max) return sw(SW.WRONG_LENGTH);
    return r;
  }

  private handle(c: Command): Response {
    switch (c.ins) {
      case 0xa4:
        return this.select(c);
      case 0xb0:
      case 0xb1:
        return this.readBinary(c);
      case 0x84:
      case 0x82:
        return this.bacStep(c);
      case 0x22:
      case 0x86:
        return this.sm ? this.caStep(c) : this.paceStep(c);
      case 0x88:
        return this.internalAuthenticate(c);
      default:
        return sw(SW.INS_NOT_SUPPORTED);
    }
  }

  private bacStep(c: Command): Response {
    if (!this.bac || this.sm) return sw(SW.INS_NOT_SUPPORTED);
    const { response, sm } = this.bac.handle(c);
    if (sm) this.sm = sm;
    return response;
  }

  private paceStep(c: Command): Response {
    if (!this.pace || this.sm) return sw(SW.INS_NOT_SUPPORTED);
    const { response, sm } = this.pace.handle(c);
    if (sm) this.sm = sm;
    return response;
  }

  /** Chip Authentication, Doc 9303 Part 11 §6.2: the new keys apply from the next command. */
  private caStep(c: Command): Response {
    if (!this.ca) return sw(c.ins === 0x22 ? 0x6a88 : SW.CONDITIONS_NOT_SATISFIED);
    const { response, sm } = this.ca.handle(c);
    if (sm) this.nextSm = sm;
    return response;
  }

  /** Active Authentication, Doc 9303 Part 11 §6.1: sign the terminal's 8-byte challenge. */
  private internalAuthenticate(c: Command): Response {
    const key = this.card.secrets.activeAuthenticationKey;
    if (!this.sm) return sw(SW.SECURITY_NOT_SATISFIED);
    if (!key) return sw(SW.INS_NOT_SUPPORTED);
    if (c.p1 !== 0 || c.p2 !== 0) return sw(SW.WRONG_P1P2);
    if (!c.data || c.data.length !== 8) return sw(SW.WRONG_LENGTH);
    return { data: activeAuthenticationSignature(key, c.data, { signatureAlgorithm: aaSignatureAlgorithm(this.dg14), random: this.random }), sw: SW.OK };
  }

  private select(c: Command): Response {
    const data = c.data ?? EMPTY;
    if (c.p1 === 0x04) {
      if (!equal(data, EMRTD_AID)) return sw(SW.FILE_NOT_FOUND);
      this.df = 'APP';
      this.ef = undefined;
      return sw(SW.OK);
    }
    if (c.p1 !== 0x00 && c.p1 !== 0x02) return sw(0x6a86);
    if (data.length === 0 || (data.length === 2 && data[0] === 0x3f && data[1] === 0x00)) {
      if (c.p1 !== 0x00 || this.card.profile.refuseMfSelect) return sw(SW.FILE_NOT_FOUND);
      this.df = 'MF';
      this.ef = undefined;
      return sw(SW.OK);
    }
    if (data.length !== 2) return sw(SW.WRONG_DATA);
    const f = fileByFid((data[0]! << 8) | data[1]!);
    if (!f || !this.card.files.has(f.name) || f.inApplication !== (this.df === 'APP')) return sw(SW.FILE_NOT_FOUND);
    if (f.inApplication && !this.sm) return sw(SW.SECURITY_NOT_SATISFIED);
    this.ef = f;
    return sw(SW.OK);
  }

  private readBinary(c: Command): Response {
    let offset: number;
    if (c.ins === 0xb0 && c.p1 & 0x80) {
      const sfi = c.p1 & 0x1f;
      const f = allFiles().find((x) => (x.fid & 0xff) === sfi && x.inApplication === (this.df === 'APP'));
      if (!f || !this.card.files.has(f.name)) return sw(SW.FILE_NOT_FOUND);
      if (f.inApplication && !this.sm) return sw(SW.SECURITY_NOT_SATISFIED);
      this.ef = f;
      offset = c.p2;
    } else if (c.ins === 0xb0) {
      offset = ((c.p1 & 0x7f) << 8) | c.p2;
    } else {
      try {
        const t = tlv.decodeExact(c.data ?? EMPTY, 0x54);
        if (t.value.length === 0 || t.value.length > 3) return sw(SW.WRONG_DATA);
        offset = t.value.reduce((a, b) => a * 256 + b, 0);
      } catch {
        return sw(SW.WRONG_DATA);
      }
    }
    if (!this.ef) return sw(0x6986);
    const file = this.card.files.get(this.ef.name)!;
    const le = c.le ?? 256;
    if (le > this.card.profile.maxChunk) return sw(SW.WRONG_LENGTH);
    if (offset > file.length) return sw(SW.WRONG_P1P2);
    const data = file.subarray(offset, Math.min(file.length, offset + le));
    const body = c.ins === 0xb1 ? tlv.encode(0x53, data) : data;
    return { data: concat(body), sw: offset + le > file.length ? SW.END_OF_FILE : SW.OK };
  }
}
