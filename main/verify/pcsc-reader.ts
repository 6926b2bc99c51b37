// The kiosk's live reader: one PC/SC reader followed through pcscd's events (drivers/pcsc
// watchReaders), its card state for the pipeline, and an exclusive session per read.
//
// The pipeline never closes the transports it gets, so this reader does: the previous
// session before a new one (exclusive access would refuse the new one otherwise) and the
// session of a card that left. A session is closed only once its APDU in flight has
// settled, so the read still fails with the transport's own diagnosis (CARD_REMOVED,
// READER_UNPLUGGED, PCSCD_NOT_RUNNING) rather than with "closed".
import type { Transport } from '../../drivers/apdu/apdu.js';
import type { IdkError } from '../../core/errors.js';
import { openContext } from '../../drivers/pcsc/binding.js';
import { cardRemovedDuringRead, noCard, noReader } from '../../drivers/pcsc/errors.js';
import { type ReaderEvent, type Watcher, type WatchOptions, watchReaders } from '../../drivers/pcsc/readers.js';
import { PcscTransport, type PcscTransportOptions } from '../../drivers/pcsc/transport.js';
import type { CardReader } from './card-reader.js';

export interface PcscCardReaderOptions {
  /** The reader to use; without it the first reader pcscd lists (or the one a card is placed on). */
  name?: string;
  /** Passed to the transport of each read (timeouts); access is always exclusive. */
  transport?: Omit<PcscTransportOptions, 'share'>;
  /** How often pcscd is asked again, and how soon after it went away. */
  watch?: WatchOptions;
}

/** What the kiosk shows while no reader is chosen. */
const UNCHOSEN = 'PC/SC';

/** One read's session: counts what is in flight so closing waits for it. */
class Session implements Transport {
  private inflight: Promise<unknown> = Promise.resolve();
  private removed = false;

  constructor(readonly transport: PcscTransport) {}

  transmit(command: Uint8Array): Promise<Uint8Array> {
    if (this.removed) return Promise.reject(cardRemovedDuringRead({ apdus: this.transport.stats.apdus }));
    const p = this.transport.transmit(command);
    this.inflight = p.catch(() => undefined);
    return p;
  }

  /** The card left (or a newer session replaces this one): release the card once the APDU in flight has its answer. */
  async close(): Promise<void> {
    this.removed = true;
    await this.inflight;
    await this.transport.close();
  }
}

export class PcscCardReader implements CardReader {
  readonly emulated = false;
  private readonly wanted: string | undefined;
  private chosen: string | undefined;
  private present = false;
  private failure: IdkError | undefined;
  private session: Session | undefined;
  /** Every reader pcscd reports and whether a card lies on it, as the events told us. */
  private readonly readers = new Map<string, boolean>();
  private readonly listeners = new Set<() => void>();
  private readonly watcher: Watcher;

  constructor(private readonly options: PcscCardReaderOptions = {}) {
    this.wanted = options.name;
    this.watcher = watchReaders((e) => this.onEvent(e), options.watch);
  }

  /** The chosen reader's name as pcscd gives it, or "PC/SC" while there is none. */
  get name(): string {
    return this.chosen ?? this.wanted ?? UNCHOSEN;
  }

  status(): 'no-reader' | 'empty' | 'card' {
    if (this.chosen === undefined) return 'no-reader';
    return this.present ? 'card' : 'empty';
  }

  /**
   * Why there is no reader, when PC/SC itself says so (PCSCD_NOT_RUNNING,
   * PCSC_LIBRARY_MISSING), else NO_READER while none is chosen; undefined when a reader is.
   */
  get problem(): IdkError | undefined {
    if (this.failure) return this.failure;
    if (this.chosen === undefined) return noReader(this.wanted, [...this.readers.keys()]);
    return undefined;
  }

  /** Settles once pcscd has been asked the first time: the state above is then what pcscd says. */
  ready(): Promise<void> {
    return this.watcher.ready;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async connect(): Promise<Transport> {
    await this.release();
    const reader = this.chosen;
    if (reader === undefined) throw this.problem ?? noReader(this.wanted);
    if (!this.present) throw noCard(reader, [...this.readers.keys()]);
    const transport = await PcscTransport.connect(reader, { ...this.options.transport, share: 'exclusive' });
    const session = new Session(transport);
    if (this.chosen !== reader || !this.present) {
      // The card left while we connected: the event came and went without a session to close.
      void session.close();
      throw cardRemovedDuringRead({ apdus: 0 });
    }
    this.session = session;
    return session;
  }

  /** Stops following pcscd and releases the card. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.release();
    await this.watcher.stop();
  }

  private async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.close().catch(() => undefined);
  }

  private onEvent(e: ReaderEvent): void {
    const before = `${this.chosen}|${this.present}|${this.failure?.code}`;
    if (e.type === 'reader-attached' || e.type === 'card-removed') this.readers.set(e.reader, false);
    else if (e.type === 'card-inserted') this.readers.set(e.reader, true);
    else if (e.type === 'reader-detached') this.readers.delete(e.reader);
    switch (e.type) {
      case 'error':
        this.failure = e.error;
        if (e.error.code === 'PCSC_FAILURE') void this.diagnose(e.error);
        break;
      case 'reader-attached':
        this.failure = undefined;
        if (this.chosen === undefined && (this.wanted === undefined || this.wanted === e.reader)) {
          this.chosen = e.reader;
          this.present = false;
        }
        break;
      case 'reader-detached':
        if (e.reader === this.chosen) this.choose();
        break;
      case 'card-inserted':
        if (e.reader === this.chosen) this.present = true;
        else if (this.wanted === undefined && !this.present && !this.session) {
          // No reader named: the card goes where the clerk put it.
          this.chosen = e.reader;
          this.present = true;
        }
        break;
      case 'card-removed':
        if (e.reader === this.chosen) {
          this.present = false;
          void this.release();
        }
        break;
    }
    if (`${this.chosen}|${this.present}|${this.failure?.code}` !== before) this.notify();
  }

  /**
   * When pcscd stops under an open context the binding says "Communication error"
   * (PCSC_FAILURE), which tells the clerk nothing: a fresh context tells whether pcscd itself
   * is gone. pcscd may still be shutting down, so it is asked a few times.
   */
  private async diagnose(seen: IdkError): Promise<void> {
    for (let i = 0; i < 10 && this.failure === seen; i++) {
      const down = await openContext().then(
        (c) => (c.close(), undefined),
        (x: unknown) => x as IdkError,
      );
      if (down) {
        if (this.failure !== seen) return;
        this.failure = down;
        this.notify();
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** The chosen reader went away: the named one waits for its return, else the first reader left. */
  private choose(): void {
    void this.release();
    this.chosen = undefined;
    this.present = false;
    if (this.wanted !== undefined) return;
    const all = [...this.readers];
    const next = all.find(([, present]) => present) ?? all[0];
    if (next) [this.chosen, this.present] = next;
  }
}
