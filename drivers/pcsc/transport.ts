// The PC/SC transport: one card in one reader, held exclusively while a read runs, every
// call bounded by a timeout, every failure turned into a typed error a clerk can act on.
//
// Status words 61xx and 6Cxx pass through untouched: CardSession and `transceive` handle
// them above (and count them). Handling them here as well would hide APDUs from the stats,
// and re-issuing a 6Cxx under secure messaging would replay a MAC'd command with a spent
// send sequence counter, which the chip rightly refuses.
import { isExtended, parseCommand, type Transport } from '../apdu/apdu.js';
import type { IdkError } from '../../core/errors.js';
import { type NativeCard, type NativeContext, STATE, binding, openContext } from './binding.js';
import { cardMute, cardRemovedDuringRead, noCard, noReader, pcscError, readerUnplugged, unsupportedCard } from './errors.js';

export interface PcscTransportOptions {
  /**
   * Longest wait for one answer, ms. The slowest honest step is an RSA-2048 Active
   * Authentication or an EC Chip Authentication on an old chip (2-3 s); default 10 s.
   */
  timeoutMs?: number;
  /** Longest wait for the connection (power-up and protocol choice), ms; default 5 s. */
  connectTimeoutMs?: number;
  /** Receive buffer per APDU: 65536 data bytes + status word, enough for any extended-length answer. */
  maxRecvLength?: number;
  /** Exclusive (default) keeps other programs from talking to the chip mid-read. */
  share?: 'exclusive' | 'shared';
  /** After an answer went missing, how long to watch pcscd for the card's removal before calling it mute, ms. */
  removalGraceMs?: number;
}

export type Protocol = 'T=0' | 'T=1' | 'RAW';

const DEFAULTS = { timeoutMs: 10_000, connectTimeoutMs: 5_000, maxRecvLength: 65_538, removalGraceMs: 1_500 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Races `p` against a timer; the timer never keeps the process alive. */
function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => IdkError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class PcscTransport implements Transport {
  /** Commands sent and bytes received since connecting: how far a failed read got. */
  readonly stats = { apdus: 0, bytesIn: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once the connection cannot carry another command (removed, mute, closed). */
  private broken: IdkError | undefined;
  /** A native call still running after its timeout: the handle is released when it ends. */
  private pending: Promise<unknown> | undefined;
  private closed = false;

  private constructor(
    readonly reader: string,
    private readonly context: NativeContext,
    private readonly card: NativeCard,
    private readonly options: Required<Omit<PcscTransportOptions, 'share'>> & { share: number },
    readonly atr: Uint8Array,
  ) {}

  /** Connects to the card in `reader` with T=0 or T=1, whichever the card and reader agree on. */
  static async connect(reader: string, options: PcscTransportOptions = {}): Promise<PcscTransport> {
    const b = await binding();
    const o = { ...DEFAULTS, ...options, share: options.share === 'shared' ? b.SCARD_SHARE_SHARED : b.SCARD_SHARE_EXCLUSIVE };
    const context = await openContext();
    let connecting: Promise<NativeCard> | undefined;
    try {
      let readers;
      try {
        readers = context.listReaders();
      } catch (e) {
        throw pcscError(e, { reader });
      }
      const names = readers.map((r) => r.name);
      const r = readers.find((x) => x.name === reader);
      if (!r) throw noReader(reader, names);
      if (r.state & STATE.MUTE) throw cardMute(reader, 'the reader reports the card mute (no answer to reset)');
      if (!(r.state & STATE.PRESENT)) throw noCard(reader, names);
      connecting = r.connect(o.share, b.SCARD_PROTOCOL_T0 | b.SCARD_PROTOCOL_T1);
      const card = await withTimeout(connecting, o.connectTimeoutMs, () => cardMute(reader, `no connection within ${o.connectTimeoutMs} ms`)).catch(
        (e: unknown) => {
          throw pcscError(e, { reader, readers: names });
        },
      );
      return new PcscTransport(reader, context, card, o, new Uint8Array(card.atr ?? r.atr ?? []));
    } catch (e) {
      // A connect still running owns the context (closing it now would block on its lock).
      if (connecting) {
        connecting
          .then(
            (c) => c.disconnect(b.SCARD_LEAVE_CARD),
            () => undefined,
          )
          .finally(() => context.close());
      } else context.close();
      throw e;
    }
  }

  get protocol(): Protocol {
    const p = this.card.protocol;
    return p === 1 ? 'T=0' : p === 2 ? 'T=1' : 'RAW';
  }

  /** One APDU out, one response in; calls are queued so only one is ever in flight. */
  transmit(command: Uint8Array): Promise<Uint8Array> {
    const run = this.queue.then(
      () => this.send(command),
      () => this.send(command),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async send(command: Uint8Array): Promise<Uint8Array> {
    if (this.broken) throw this.broken;
    if (this.protocol === 'T=0' && isExtendedBytes(command)) {
      // T=0 carries at most 256 bytes each way; an extended APDU would need ENVELOPE, which no eMRTD needs.
      throw unsupportedCard(this.reader, 'extended-length APDU over T=0');
    }
    this.stats.apdus++;
    const call = this.card.transmit(Buffer.from(command), { maxRecvLength: this.options.maxRecvLength });
    let out: Buffer;
    try {
      out = await withTimeout(call, this.options.timeoutMs, () => cardMute(this.reader, `no answer within ${this.options.timeoutMs} ms`));
    } catch (e) {
      if (isTimeout(e)) {
        this.broken = e as IdkError;
        this.pending = call.catch(() => undefined);
        throw this.broken;
      }
      throw await this.failure(e);
    }
    if (out.length < 2) {
      // vpcd and some drivers report a card that left mid-answer as an empty success.
      throw await this.diagnose('empty answer');
    }
    this.stats.bytesIn += out.length;
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  private async failure(e: unknown): Promise<IdkError> {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg === 'Card was reset') {
      // Another program or the reader reset the chip: the handle is renewed so the caller can
      // open a new session; the current one (and any secure messaging keys) is gone.
      await this.reconnect(false).catch(() => undefined);
      return pcscError(e, { reader: this.reader });
    }
    if (['Transaction failed', 'Communication error', 'Card is unresponsive', 'Unknown PC/SC error', 'Invalid handle'].includes(msg)) return this.diagnose(msg);
    const err = pcscError(e, { reader: this.reader, progress: { apdus: this.stats.apdus } });
    if (['CARD_REMOVED', 'READER_UNPLUGGED', 'PCSCD_NOT_RUNNING', 'NO_CARD'].includes(err.code)) this.broken = err;
    return err;
  }

  /** An answer went missing: removed card, unplugged reader, stopped pcscd, or a mute chip. */
  private async diagnose(why: string): Promise<IdkError> {
    const deadline = Date.now() + this.options.removalGraceMs;
    let err: IdkError;
    for (;;) {
      let state: number | undefined;
      try {
        state = this.context.listReaders().find((r) => r.name === this.reader)?.state;
      } catch (e) {
        // Our context may be the casualty; a fresh one tells whether pcscd itself is gone.
        err = await openContext().then(
          (c) => (c.close(), pcscError(e, { reader: this.reader })),
          (down: unknown) => down as IdkError,
        );
        break;
      }
      const progress = { apdus: this.stats.apdus };
      if (state === undefined) {
        err = readerUnplugged(this.reader, progress);
        break;
      }
      if (state & STATE.EMPTY) {
        err = cardRemovedDuringRead(progress);
        break;
      }
      if (Date.now() >= deadline) {
        err = cardMute(this.reader, why);
        break;
      }
      // pcscd polls the reader a few times a second: give it time to see the card go.
      await sleep(50);
    }
    this.broken = err;
    return err;
  }

  /** Powers the card again (warm reset when `reset`), as after a lift-and-replace; the old session is gone. */
  async reconnect(reset = true): Promise<void> {
    const b = await binding();
    try {
      await withTimeout(
        this.card.reconnect(this.options.share, b.SCARD_PROTOCOL_T0 | b.SCARD_PROTOCOL_T1, reset ? b.SCARD_RESET_CARD : b.SCARD_LEAVE_CARD),
        this.options.connectTimeoutMs,
        () => cardMute(this.reader, `no reconnection within ${this.options.connectTimeoutMs} ms`),
      );
      this.broken = undefined;
    } catch (e) {
      throw pcscError(e, { reader: this.reader });
    }
  }

  /**
   * Releases the card after a warm reset, so no other program can ride on the session we
   * opened. Only asynchronous calls touch the card: a synchronous one blocks the event loop
   * until the reader answers (and deadlocks a software card served from this process).
   * A call still running past its timeout holds the handle: it is released when that call ends.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.broken ??= pcscError(new Error('closed'), { reader: this.reader });
    const b = await binding();
    const release = () => {
      try {
        // LEAVE: the reset already happened; this only drops the handle, without talking to the card.
        this.card.disconnect(b.SCARD_LEAVE_CARD);
      } catch {
        // Already gone (card removed, pcscd stopped): nothing to release.
      }
      this.context.close();
    };
    if (this.pending) {
      void this.pending.then(release);
      return;
    }
    const reset = this.card.reconnect(this.options.share, b.SCARD_PROTOCOL_T0 | b.SCARD_PROTOCOL_T1, b.SCARD_RESET_CARD).catch(() => undefined);
    try {
      await withTimeout(reset, this.options.connectTimeoutMs, () => cardMute(this.reader, 'no answer to reset on release'));
      release();
    } catch {
      void reset.then(release);
    }
  }
}

function isTimeout(e: unknown): boolean {
  return e instanceof Error && (e as IdkError).code === 'CARD_MUTE' && String((e as IdkError).detail?.why ?? '').startsWith('no answer within');
}

function isExtendedBytes(command: Uint8Array): boolean {
  try {
    const c = parseCommand(command);
    return c.extended || isExtended(c);
  } catch {
    return false;
  }
}
