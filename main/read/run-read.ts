// `idkiosk read`: one full read of a chip and the report of DESIGN.md.
import { writeFile } from 'node:fs/promises';
import { IdkError, usageError } from '../../core/errors.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import { type AccessKey, type RawDocument, validateCan } from '../../drivers/emrtd/read-document.js';
import type { Progress } from '../../drivers/emrtd/read-file.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { type OpenedWith, type QrComparison, accessFromQr, compareQrWithChip, readWithQr } from '../verify/qr-access.js';
import { chipSource, pcscSource } from './source.js';
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
}

export function accessKeyFrom(args: ReadArgs): AccessKey {
  const given = [args.mrz, args.can, args.qr].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw usageError(
      'give exactly one access key: --mrz DOC:YYMMDD:YYMMDD, --can NNNNNN or --qr TEXT',
      'cần đúng một khóa truy cập: --mrz SỐ:YYMMDD:YYMMDD, --can NNNNNN hoặc --qr NỘI-DUNG',
    );
  }
  if (args.mrz !== undefined) return { kind: 'mrz', key: parseMrzKey(args.mrz) };
  if (args.can !== undefined) return { kind: 'can', can: validateCan(args.can) };
  return accessFromQr(args.qr!).access;
}

export interface ReadOutcome {
  report: ReadReport;
  faceImage?: Uint8Array;
  /** With --qr: which key opened the chip and whether the QR agrees with the chip. */
  qr?: { openedWith: OpenedWith; comparison: QrComparison };
}

export async function runRead(args: ReadArgs): Promise<ReadOutcome> {
  const access = accessKeyFrom(args);
  // The trust folder first: a wrong path is the operator's to fix before touching the card.
  const trust = args.trust !== undefined ? await loadTrustFolder(args.trust) : undefined;
  if (args.reader !== undefined && args.card !== undefined) {
    throw usageError('give --reader NAME or --card DIR, not both', 'chỉ dùng một trong hai: --reader TÊN hoặc --card THƯ-MỤC');
  }
  // --card: the software chip in-process; otherwise a PC/SC reader (named, or the only one with a card).
  const source = args.card !== undefined ? chipSource(await loadCardFolder(args.card)) : await pcscSource(args.reader);
  const started = performance.now();
  const options = { preferPace: !args.bac, onProgress: args.onProgress };
  let viaQr: Awaited<ReturnType<typeof readWithQr>> | undefined;
  let raw: RawDocument;
  try {
    // A QR may need several attempts (BAC candidates), each on a freshly powered chip.
    viaQr = args.qr !== undefined ? await readWithQr(() => source.transport(), args.qr, options) : undefined;
    raw = viaQr?.raw ?? (await source.read({ access, ...options }));
  } finally {
    await source.close();
  }
  const { report, faceImage } = await decodeDocument(raw, performance.now() - started, { trust });
  if (args.faceOut) {
    if (!faceImage) {
      throw new IdkError('NO_FACE', { vi: 'Chip không có ảnh chân dung (DG2).', en: 'The chip holds no face image (DG2).' });
    }
    await writeFile(args.faceOut, faceImage);
  }
  const qr = viaQr ? { openedWith: viaQr.openedWith, comparison: compareQrWithChip(viaQr.qr, report) } : undefined;
  return { report, faceImage, qr };
}
