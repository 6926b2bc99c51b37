// Plugs the software chip into pcscd through vsmartcard's vpcd reader driver: vpcd
// listens on TCP (default port 35963) and a virtual card connects to it. Each message
// is a 2-byte big-endian length and a payload; a 1-byte payload is a control code
// (0 power off, 1 power on, 2 reset, 4 send ATR), anything longer is an APDU.
import { Socket, connect } from 'node:net';
import { isIdkError } from '../../core/errors.js';
import type { SoftwareChip } from './chip.js';

export const VPCD_PORT = 35963;
/** A contactless card's ATR per PC/SC Part 3 with no historical bytes (T=1). */
const CONTACTLESS_ATR = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);

interface VpcdOptions {
  host?: string;
  port?: number;
  atr?: Uint8Array;
  log?: (line: string) => void;
}

function frame(payload: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + payload.length);
  b.writeUInt16BE(payload.length, 0);
  b.set(payload, 2);
  return b;
}

/** A virtual card inserted into vpcd's reader. `eject` takes it out (socket closed). */
export class VpcdCard {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);

  constructor(
    readonly chip: SoftwareChip,
    private readonly options: VpcdOptions = {},
  ) {}

  insert(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? VPCD_PORT });
      s.setNoDelay(true);
      s.once('connect', () => {
        this.socket = s;
        this.chip.place();
        resolve();
      });
      s.once('error', (e) => {
        if (!this.socket) reject(e);
      });
      s.on('data', (d) => this.onData(d));
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
      });
    });
  }

  eject(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  get inserted(): boolean {
    return this.socket !== undefined;
  }

  /** Resolves when vpcd closes the connection (pcscd stopped). */
  closed(): Promise<void> {
    return new Promise((r) => (this.socket ? this.socket.once('close', () => r()) : r()));
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    while (this.buffer.length >= 2) {
      const n = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + n) return;
      const msg = new Uint8Array(this.buffer.subarray(2, 2 + n));
      this.buffer = this.buffer.subarray(2 + n);
      this.onMessage(msg);
    }
  }

  private onMessage(msg: Uint8Array): void {
    const s = this.socket;
    if (!s) return;
    if (msg.length === 1) {
      const code = msg[0];
      if (code === 4) s.write(frame(this.options.atr ?? CONTACTLESS_ATR));
      else if (code === 1 || code === 2) this.chip.reset();
      return;
    }
    try {
      s.write(frame(this.chip.process(msg)));
    } catch (e) {
      // The chip left the field: to pcscd that is a card removal, so close the link.
      if (isIdkError(e, 'CARD_REMOVED')) {
        this.options.log?.('card removed (simulated)');
        this.eject();
        return;
      }
      throw e;
    }
  }
}
