// `idkiosk read`: one full read of a chip and the report of DESIGN.md, through the same
// card-reader path as the kiosk (main/verify/card-reader.ts): a PC/SC reader, or a card
// folder served by the software chip; a card lifted mid-read is waited for and resumed.
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { IdkError, usageError } from '../../core/errors.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import { validateCan } from '../../drivers/emrtd/read-document.js';
import type { Progress } from '../../drivers/emrtd/read-file.js';
import type { ResumePoint } from '../../drivers/emrtd/resume.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { chooseReader } from '../../drivers/pcsc/readers.js';
import { noCard } from '../../drivers/pcsc/errors.js';
import type { QrCheckView } from '../api/contract.js';
import { type CardKey, type CardReader, readCard } from '../verify/card-reader.js';
import { EmulatedReader } from '../verify/emulated-reader.js';
import { PcscCardReader } from '../verify/pcsc-reader.js';
import { type OpenedWith, type QrComparison, accessFromQr, compareQrWithChip, qrCheckView } from '../verify/qr-access.js';
import { type ReadReport, decodeDocument } from '../verify/report.js';
import { loadTrustFolder } from '../verify/trust-folder.js';

export interface ReadArgs {
  card?: string;
  reader?: string;
  mrz?: string;
  can?: string;
  qr?: string;
  trust?: string;
  faceOut?: string;
  bac?: boolean;
  onProgress?: (p: Progress & { done: number; of: number }) => void;
  /** The card left mid-read; the read waits for it to come back. */
  onLifted?: (point: ResumePoint) => void;
  /** How long a lifted card may stay away, ms (default 20 s). */
  resumeWithinMs?: number;
}

/** The key the arguments give: exactly one of --mrz, --can, --qr (a QR's candidates are tried in order). */
function cardKeyFrom(args: Pick<ReadArgs, 'mrz' | 'can' | 'qr'>): CardKey {
  const given = [args.mrz, args.can, args.qr].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw usageError(
      'give exactly one access key: --mrz DOC:YYMMDD:YYMMDD, --can NNNNNN or --qr TEXT',
      'cần đúng một khóa truy cập: --mrz SỐ:YYMMDD:YYMMDD, --can NNNNNN hoặc --qr NỘI-DUNG',
    );
  }
  if (args.mrz !== undefined) return { kind: 'mrz', key: parseMrzKey(args.mrz) };
  if (args.can !== undefined) return { kind: 'can', can: validateCan(args.can) };
  return { kind: 'qr', keys: accessFromQr(args.qr!), source: 'typed' };
}

export interface ReadOutcome {
  report: ReadReport;
  faceImage?: Uint8Array;
  /** The reader that read the chip, as stored events name it. */
  reader: string;
  /** With --qr: which key opened the chip and whether the QR agrees with the chip. */
  qr?: { openedWith: OpenedWith; comparison: QrComparison; view: QrCheckView };
}

/** The PC/SC reader named, or the single reader holding a card, once pcscd says a card is on it. */
async function pcscReader(wanted: string | undefined): Promise<PcscCardReader> {
  const name = (await chooseReader(wanted)).name;
  const reader = new PcscCardReader({ name, watch: { pollMs: 250, retryMs: 250 } });
  await reader.ready();
  if (reader.status() !== 'card') {
    const why = reader.problem ?? noCard(name);
    await reader.close();
    throw why;
  }
  return reader;
}

async function softwareChip(dir: string): Promise<EmulatedReader> {
  const reader = new EmulatedReader(await loadCardFolder(dir), { latency: null, name: `Software chip (${basename(dir)})` });
  reader.setPresent(true);
  return reader;
}

export async function runRead(args: ReadArgs): Promise<ReadOutcome> {
  const key = cardKeyFrom(args);
  // The trust folder first: a wrong path is the operator's to fix before touching the card.
  const trust = args.trust !== undefined ? await loadTrustFolder(args.trust) : undefined;
  if (args.reader !== undefined && args.card !== undefined) {
    throw usageError('give --reader NAME or --card DIR, not both', 'chỉ dùng một trong hai: --reader TÊN hoặc --card THƯ-MỤC');
  }
  const reader: CardReader & { close?(): Promise<void> } = args.card !== undefined ? await softwareChip(args.card) : await pcscReader(args.reader);
  const started = performance.now();
  let read: Awaited<ReturnType<typeof readCard>>;
  try {
    read = await readCard(reader, key, { preferPace: !args.bac, onProgress: args.onProgress, onLifted: args.onLifted, resumeWithinMs: args.resumeWithinMs });
  } finally {
    await reader.close?.();
  }
  const { report, faceImage } = await decodeDocument(read.raw, performance.now() - started, { trust });
  if (args.faceOut) {
    if (!faceImage) {
      throw new IdkError('NO_FACE', { vi: 'Chip không có ảnh chân dung (DG2).', en: 'The chip holds no face image (DG2).' });
    }
    await writeFile(args.faceOut, faceImage);
  }
  const q = read.qr;
  const qr = q ? { openedWith: q.openedWith, comparison: compareQrWithChip(q.keys.qr, report), view: qrCheckView(q.keys.qr, q.openedWith, q.source, report) } : undefined;
  return { report, faceImage, reader: reader.name, ...(qr ? { qr } : {}) };
}
