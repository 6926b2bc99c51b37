// One conversation with one chip: plain until access control succeeds, then every
// command through secure messaging. Counts what crosses the wire for the stats block.
import { type Command, type Response, type Transport, encodeCommand, parseResponse } from '../apdu/apdu.js';
import { concat } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import type { SecureMessaging } from './secure-messaging.js';

export interface WireStats {
  apdus: number;
  bytesOut: number;
  bytesIn: number;
}

export class CardSession {
  sm: SecureMessaging | undefined;
  readonly stats: WireStats = { apdus: 0, bytesOut: 0, bytesIn: 0 };

  constructor(readonly transport: Transport) {}

  private async raw(c: Command): Promise<Response> {
    const bytes = encodeCommand(c);
    this.stats.apdus++;
    this.stats.bytesOut += bytes.length;
    const out = await this.transport.transmit(bytes);
    this.stats.bytesIn += out.length;
    return parseResponse(out);
  }

  /** Sends without SM, handling 61xx/6Cxx like `transceive` but counted. */
  async plain(c: Command): Promise<Response> {
    let r = await this.raw(c);
    if ((r.sw & 0xff00) === 0x6c00) r = await this.raw({ ...c, le: r.sw & 0xff || 256 });
    let data = r.data;
    for (let guard = 0; (r.sw & 0xff00) === 0x6100; guard++) {
      if (guard > 256) throw mute();
      r = await this.raw({ cla: c.cla & 0x0f, ins: 0xc0, p1: 0, p2: 0, le: r.sw & 0xff || 256 });
      data = concat(data, r.data);
    }
    return { data, sw: r.sw };
  }

  /** Sends through SM when a session is open. */
  async send(c: Command): Promise<Response> {
    if (!this.sm) return this.plain(c);
    const r = await this.plain(this.sm.wrap(c));
    return this.sm.unwrap(r);
  }
}

export function mute(): IdkError {
  return new IdkError('CARD_MUTE', {
    vi: 'Thẻ không trả lời đúng giao thức: hãy đặt lại thẻ hoặc thử thẻ khác.',
    en: 'The card stopped answering properly: place it again or try another card.',
  });
}
