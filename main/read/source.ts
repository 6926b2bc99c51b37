// Where `idkiosk read` gets its card: a card folder served by the in-process software chip,
// or a PC/SC reader (the one named, or the only one with a card), with resume after a lift.
import type { Transport } from '../../drivers/apdu/apdu.js';
import { type RawDocument, type ReadDocumentOptions, readDocument } from '../../drivers/emrtd/read-document.js';
import { readDocumentResumable } from '../../drivers/emrtd/resume.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { chooseReader, waitForCard } from '../../drivers/pcsc/readers.js';
import { PcscTransport, type PcscTransportOptions } from '../../drivers/pcsc/transport.js';

export interface ReadSource {
  readonly name: string;
  /** A transport to a freshly powered chip (one per attempt, e.g. each BAC candidate of a QR). */
  transport(): Promise<Transport>;
  /** One full read, resuming after a lift where the source can. */
  read(opts: ReadDocumentOptions): Promise<RawDocument>;
  close(): Promise<void>;
}

export function chipSource(card: CardImage): ReadSource {
  return {
    name: 'software chip',
    transport: async () => new SoftwareChip(card),
    read: (opts) => readDocument(new SoftwareChip(card), opts),
    close: async () => undefined,
  };
}

export interface PcscSourceOptions extends PcscTransportOptions {
  /** How long a lifted card may stay away and the read still continue, ms. */
  resumeWithinMs?: number;
  onLifted?: () => void;
}

/** The reader named, or the single reader holding a card; connects at once (exclusive). */
export async function pcscSource(wanted: string | undefined, options: PcscSourceOptions = {}): Promise<ReadSource> {
  const reader = (await chooseReader(wanted)).name;
  let current: PcscTransport | undefined = await PcscTransport.connect(reader, options);
  let used = false;
  const fresh = async (): Promise<PcscTransport> => {
    if (current && !used) {
      used = true;
      return current;
    }
    await current?.close();
    current = undefined;
    current = await PcscTransport.connect(reader, options);
    used = true;
    return current;
  };
  return {
    name: reader,
    transport: fresh,
    read: async (opts) =>
      readDocumentResumable(await fresh(), {
        ...opts,
        resumeWithinMs: options.resumeWithinMs,
        onLifted: () => options.onLifted?.(),
        reconnect: async (withinMs) => {
          await current?.close();
          current = undefined;
          await waitForCard(reader, withinMs);
          current = await PcscTransport.connect(reader, options);
          return current;
        },
      }),
    close: async () => {
      await current?.close();
      current = undefined;
    },
  };
}
