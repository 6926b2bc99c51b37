// The operator's trust folder: CSCA certificates (*.pem, *.der, *.cer, *.crt), CSCA master
// lists (*.ml) and CRLs (*.crl), dropped in as published, subfolders included. This is
// the I/O edge; drivers/emrtd/trust-store.ts judges the bytes. A file that cannot be used
// is reported and the others still count.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { type TrustFile, type TrustStore, buildTrustStore } from '../../drivers/emrtd/trust-store.js';

export const TRUST_EXTENSIONS = ['.pem', '.der', '.cer', '.crt', '.ml', '.crl'];
/** Deeper than any published CSCA package; stops symlink loops. */
const MAX_DEPTH = 4;
/** A national master list is a few MB; anything far larger is not trust material. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

interface TrustFolder extends TrustStore {
  /** Files skipped because their extension is not one of TRUST_EXTENSIONS (README, LDIF...). */
  skipped: string[];
}

function unreadable(dir: string): IdkError {
  return new IdkError('TRUST_FOLDER_UNREADABLE', {
    vi: `Không mở được thư mục tin cậy ${dir}: hãy kiểm tra đường dẫn (thư mục chứa chứng thư CSCA, master list, CRL).`,
    en: `Cannot open the trust folder ${dir}: check the path (a folder of CSCA certificates, master lists and CRLs).`,
  });
}

/** The files of a trust folder as they are, before any judgement: what loadTrustFolder builds from. */
export interface TrustFolderFiles {
  files: TrustFile[];
  skipped: string[];
  oversized: string[];
}

export async function readTrustFolder(dir: string): Promise<TrustFolderFiles> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw unreadable(dir);
  }
  const files: TrustFile[] = [];
  const skipped: string[] = [];
  const oversized: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, e.name);
      const name = relative(dir, path);
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(path, depth + 1);
        continue;
      }
      if (!TRUST_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) {
        skipped.push(name);
        continue;
      }
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size > MAX_FILE_BYTES) {
        oversized.push(name);
        continue;
      }
      const bytes = await readFile(path).then((b) => new Uint8Array(b), () => undefined);
      files.push({ name, bytes: bytes ?? new Uint8Array(0) });
    }
  };
  await walk(dir, 0);
  return { files, skipped, oversized };
}

/** One store from the files of several read folders (a CRL in one may be signed by a CSCA in another). */
export function trustFromFolders(folders: TrustFolderFiles[]): TrustFolder {
  const store = buildTrustStore(folders.flatMap((f) => f.files));
  for (const name of folders.flatMap((f) => f.oversized)) {
    store.problems.push({
      file: name,
      code: 'UNREADABLE',
      messages: { en: `${name}: larger than ${MAX_FILE_BYTES >> 20} MB, not trust material: skipped`, vi: `${name}: lớn hơn ${MAX_FILE_BYTES >> 20} MB, không phải dữ liệu tin cậy: bỏ qua` },
    });
  }
  return { ...store, skipped: folders.flatMap((f) => f.skipped) };
}

export async function loadTrustFolder(dir: string): Promise<TrustFolder> {
  return trustFromFolders([await readTrustFolder(dir)]);
}
