// One way to read a card, for the kiosk and the CLI alike: a `CardReader` (a PC/SC reader
// through pcscd, or the software chip) and `readCard`, which opens the chip with a typed
// key or a scanned QR's candidates and reads it, continuing after a lift when the same
// card comes back (drivers/emrtd/resume.ts checks it is the same chip before joining).
import type { Transport } from '../../drivers/apdu/apdu.js';
import { IdkError } from '../../core/errors.js';
import type { AccessKey } from '../../drivers/emrtd/read-document.js';
import type { Progress } from '../../drivers/emrtd/read-file.js';
import { type ResumePoint, type ResumedDocument, readDocumentResumable } from '../../drivers/emrtd/resume.js';
import type { QrSource } from '../api/contract.js';
import { type OpenedWith, type QrAccess, openWithQrKeys } from './qr-access.js';

/** A card reader: PC/SC (main/verify/pcsc-reader.ts) or the software chip (emulated-reader.ts). */
export interface CardReader {
  /** The reader's own name (pcscd's, or the software chip's): it goes into every stored event. */
  readonly name: string;
  /** True when a software chip stands in for the card. */
  readonly emulated: boolean;
  status(): 'no-reader' | 'empty' | 'card';
  /** Why there is no usable reader (pcscd down, none plugged in), for the clerk to act on. */
  readonly problem?: IdkError | undefined;
  /** Called on every presence change; returns unsubscribe. */
  onChange(listener: () => void): () => void;
  /** A transport to the card now in the field (a fresh chip session each time). */
  connect(): Promise<Transport>;
}

/** Where access keys come from without typing: a demo card's CAN. */
export interface KeySource {
  readonly name: string;
  /** A key for the card just placed, if this source has one. */
  keyFor(): AccessKey | undefined;
}

/** A typed (or demo) key, or the candidates from one scanned QR, tried in `openWithQrKeys`' order. */
export type CardKey = AccessKey | { kind: 'qr'; keys: QrAccess; source: QrSource };

interface ReadCardOptions {
  /** Use PACE when the chip offers it (default); false forces BAC. */
  preferPace?: boolean;
  onProgress?: (p: Progress & { done: number; of: number }) => void;
  /** The card left mid-read: the read now waits for it (up to `resumeWithinMs`). */
  onLifted?: (point: ResumePoint) => void;
  /** The card came back and the read goes on from where it was. */
  onResumed?: (point: ResumePoint) => void;
  /** How long a lifted card may stay away and the read still continue, ms (default 20 s). */
  resumeWithinMs?: number;
  /** Ends a wait for a lifted card, and stops before the next QR candidate is tried. */
  signal?: AbortSignal;
}

interface CardRead {
  raw: ResumedDocument;
  /** When a scanned QR opened the chip: its keys, where it came from, and which of them worked. */
  qr?: { keys: QrAccess; source: QrSource; openedWith: OpenedWith };
}

function notBack(): IdkError {
  return new IdkError('NO_CARD', { vi: 'Thẻ không được đặt lại kịp.', en: 'The card was not placed back in time.' });
}

/** Resolves once a card is on the reader; rejects with NO_CARD after `withinMs`, or with the signal's reason. */
function cardPresent(reader: CardReader, withinMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    if (reader.status() === 'card') return resolve();
    const done = (): void => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', aborted);
    };
    const aborted = (): void => {
      done();
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      done();
      reject(notBack());
    }, withinMs);
    const off = reader.onChange(() => {
      if (reader.status() !== 'card') return;
      done();
      resolve();
    });
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** One read with one key on a fresh session, resuming after lifts. */
async function readWith(reader: CardReader, access: AccessKey, preferPace: boolean, o: ReadCardOptions): Promise<ResumedDocument> {
  return readDocumentResumable(await reader.connect(), {
    access,
    preferPace,
    onProgress: o.onProgress,
    onLifted: o.onLifted,
    onResumed: o.onResumed,
    resumeWithinMs: o.resumeWithinMs,
    reconnect: async (withinMs) => {
      await cardPresent(reader, withinMs, o.signal);
      return reader.connect();
    },
  });
}

/**
 * Opens the chip on `reader` with `key` and reads every file: a typed key directly; a QR's
 * candidates one after another (`openWithQrKeys`). Throws the typed errors of the read
 * (ACCESS_DENIED, QR_KEY_NOT_FOUND, CARD_REMOVED when the card did not come back…).
 */
export async function readCard(reader: CardReader, key: CardKey, o: ReadCardOptions = {}): Promise<CardRead> {
  if (key.kind !== 'qr') return { raw: await readWith(reader, key, o.preferPace !== false, o) };
  const { value, openedWith } = await openWithQrKeys(
    key.keys,
    async (access, bac) => {
      // Cleared, or another card meanwhile: stop before spending a try on it.
      if (o.signal?.aborted) throw o.signal.reason as Error;
      return readWith(reader, access, !bac && o.preferPace !== false, o);
    },
    { preferPace: o.preferPace },
  );
  return { raw: value, qr: { keys: key.keys, source: key.source, openedWith } };
}
