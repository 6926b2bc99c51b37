// `idkiosk read`: one full read of a chip and the report of DESIGN.md.
import { writeFile } from 'node:fs/promises';
import { IdkError } from '../drivers/apdu/errors.js';
import { parseMrzKey } from '../drivers/emrtd/bac.js';
import { type AccessKey, readDocument, validateCan } from '../drivers/emrtd/read-document.js';
import type { Progress } from '../drivers/emrtd/read-file.js';
import { loadCardFolder } from '../drivers/emulator/card-folder.js';
import { SoftwareChip } from '../drivers/emulator/chip.js';
import { type ReadReport, decodeDocument } from './verify/report.js';

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

export function usageError(en: string, vi: string): IdkError {
  return new IdkError('BAD_ARGUMENTS', { vi, en });
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
  throw new IdkError('NOT_YET', {
    vi: 'Mở chip bằng mã QR chưa có trong phiên bản này: hãy dùng --can (6 số cuối số CCCD).',
    en: 'Opening the chip from a QR code is not in this version yet: use --can (last 6 digits of the CCCD number).',
  });
}

export async function runRead(args: ReadArgs): Promise<{ report: ReadReport; faceImage?: Uint8Array }> {
  const access = accessKeyFrom(args);
  if (args.trust !== undefined) {
    throw new IdkError('NOT_YET', {
      vi: 'Kiểm tra chuỗi chứng thư đến CSCA (--trust) chưa có trong phiên bản này.',
      en: 'Chaining to a CSCA trust store (--trust) is not in this version yet.',
    });
  }
  if (args.reader !== undefined || args.card === undefined) {
    throw new IdkError('NOT_YET', {
      vi: 'Đọc qua đầu đọc PC/SC chưa có trong phiên bản này: hãy dùng --card THƯ-MỤC (chip mô phỏng).',
      en: 'Reading through a PC/SC reader is not in this version yet: use --card DIR (the software chip).',
    });
  }
  const chip = new SoftwareChip(await loadCardFolder(args.card));
  const started = performance.now();
  const raw = await readDocument(chip, { access, preferPace: !args.bac, onProgress: args.onProgress });
  const { report, faceImage } = await decodeDocument(raw, performance.now() - started);
  if (args.faceOut) {
    if (!faceImage) {
      throw new IdkError('NO_FACE', { vi: 'Chip không có ảnh chân dung (DG2).', en: 'The chip holds no face image (DG2).' });
    }
    await writeFile(args.faceOut, faceImage);
  }
  return { report, faceImage };
}
