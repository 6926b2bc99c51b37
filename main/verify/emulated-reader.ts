// The reader of demo mode: the software chip over a card folder, placed and lifted on
// request, answering at contactless speed (the latency model of the emulator) so that
// progress, timings and the benchmark behave as with a card on a real reader.
import type { Transport } from '../../drivers/apdu/apdu.js';
import { type CardImage, DEFAULT_LATENCY, type LatencyModel } from '../../drivers/emulator/card-image.js';
import { SoftwareChip, cardRemoved } from '../../drivers/emulator/chip.js';
import type { CardReader, KeySource } from './card-reader.js';

interface EmulatedReaderOptions {
  name?: string;
  /** null: answer at once (tests); default: wait as a real chip would. */
  latency?: LatencyModel | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EmulatedReader implements CardReader {
  readonly name: string;
  readonly emulated = true;
  private readonly chip: SoftwareChip;
  private present = false;
  /** Bumped on every placement, so a transport from before a lift stays dead. */
  private placement = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly card: CardImage,
    private readonly options: EmulatedReaderOptions = {},
  ) {
    this.name = options.name ?? 'Software chip (demo)';
    this.chip = new SoftwareChip(card, { latency: options.latency ?? DEFAULT_LATENCY });
  }

  status(): 'empty' | 'card' {
    return this.present ? 'card' : 'empty';
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The card enters (true) or leaves (false) the field. */
  setPresent(present: boolean): void {
    if (present === this.present) return;
    this.present = present;
    if (present) {
      this.placement++;
      this.chip.place();
    }
    else this.chip.removeAfterApdus(0);
    for (const l of this.listeners) l();
  }

  async connect(): Promise<Transport> {
    if (!this.present) throw cardRemoved();
    this.chip.reset();
    const chip = this.chip;
    const wait = this.options.latency !== null;
    const placement = this.placement;
    const inField = () => this.present && this.placement === placement;
    return {
      async transmit(apdu: Uint8Array): Promise<Uint8Array> {
        if (!inField()) throw cardRemoved();
        const before = chip.modelledMs;
        const out = chip.process(apdu);
        if (wait) await sleep(chip.modelledMs - before);
        // Lifted while the answer was in the air: a real reader would never deliver it.
        if (!inField()) throw cardRemoved();
        return out;
      },
    };
  }
}

/** The CAN printed on the demo card, as a clerk would read it off the card. Demo mode only. */
export function demoCanSource(card: CardImage): KeySource {
  return {
    name: 'demo card CAN',
    keyFor: () => (card.secrets.can ? { kind: 'can', can: card.secrets.can } : undefined),
  };
}
