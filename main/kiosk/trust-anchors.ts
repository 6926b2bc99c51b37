// The station's trust anchors: CSCA certificates, master lists (ICAO or German format, CMS
// signed) and CRLs imported on the Settings screen, from a file the page sends or from a USB
// stick, kept in `trust/` under the data folder (beside the store and settings.json, so they
// survive a restart and an update), plus the `--trust` folder when one is given. Each import
// is judged with what is already loaded before it is written: a file that adds nothing usable
// is refused with the reason, and the pipeline switches to the new store at once.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { type TrustFile, type TrustStore, buildTrustStore } from '../../drivers/emrtd/trust-store.js';
import { writeFileDurably } from '../../offline-cache/atomic-file.js';
import { MAX_FILE_BYTES, TRUST_EXTENSIONS, type TrustFolderFiles, readTrustFolder, trustFromFolders } from '../verify/trust-folder.js';
import { type TrustSummary, trustSummary } from '../verify/trust-summary.js';

const TRUST_SUBDIR = 'trust';

/** Where a station keeps the anchors imported in Settings (for `doctor` too). */
export function stationTrustDir(dataDir: string): string {
  return join(dataDir, TRUST_SUBDIR);
}

/** Where removable media appear on Debian desktops and kiosks (udisks2, hand mounts). */
const DEFAULT_MEDIA_ROOTS = ['/media', '/run/media', '/mnt'];
const MEDIA_DEPTH = 4;
const MEDIA_MAX_FILES = 200;

interface MediaFile {
  path: string;
  name: string;
  size: number;
}

function rejected(vi: string, en: string): IdkError {
  return new IdkError('TRUST_FILE_REJECTED', { vi, en });
}

/** A name safe to write in the trust folder, with the extension its content needs to be read back. */
function safeName(name: string, kind: 'certificate' | 'master-list' | 'crl'): string {
  const base = basename(name).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 80) || 'anchor';
  if (TRUST_EXTENSIONS.includes(extname(base).toLowerCase())) return base;
  return `${base}${kind === 'master-list' ? '.ml' : kind === 'crl' ? '.crl' : '.der'}`;
}

export class TrustAnchors {
  private station: TrustFolderFiles = { files: [], skipped: [], oversized: [] };
  private extra: TrustFolderFiles | undefined;
  private store: TrustStore | undefined;

  constructor(
    readonly folder: string,
    private readonly o: { extra?: string; mediaRoots?: string[] } = {},
  ) {}

  /** Reads both folders; the `--trust` folder must exist (TRUST_FOLDER_UNREADABLE), the station's may not yet. */
  async load(): Promise<TrustStore | undefined> {
    this.extra = this.o.extra !== undefined ? await readTrustFolder(this.o.extra) : undefined;
    this.station = await readTrustFolder(this.folder).catch(() => ({ files: [], skipped: [], oversized: [] }));
    this.rebuild();
    return this.store;
  }

  get current(): TrustStore | undefined {
    return this.store;
  }

  summary(now = new Date()): TrustSummary {
    return trustSummary(this.store, now);
  }

  private folders(): TrustFolderFiles[] {
    const extra = this.extra && { ...this.extra, files: this.extra.files.map((f) => ({ ...f, name: `${this.o.extra}${sep}${f.name}` })) };
    return [this.station, ...(extra ? [extra] : [])];
  }

  private rebuild(): void {
    const all = this.folders();
    this.store = all.some((f) => f.files.length > 0) || this.o.extra !== undefined ? trustFromFolders(all) : undefined;
  }

  /** Judges the bytes with everything loaded, writes them to the station folder, and rebuilds the store. */
  import(name: string, bytes: Uint8Array): TrustSummary {
    if (bytes.length === 0 || bytes.length > MAX_FILE_BYTES) {
      throw rejected(`Tệp "${basename(name)}" trống hoặc lớn hơn ${MAX_FILE_BYTES >> 20} MB: không phải chứng thư.`, `"${basename(name)}" is empty or larger than ${MAX_FILE_BYTES >> 20} MB: not trust material.`);
    }
    const probe = `.import/${basename(name)}`;
    const trial = buildTrustStore([...this.folders().flatMap((f) => f.files), { name: probe, bytes }]);
    const gave = trial.files.find((f) => f.file === probe);
    if (!gave || gave.count === 0) {
      const why = trial.problems.find((p) => p.file === probe);
      const strip = (m: string) => m.replace(`${probe}: `, '');
      if (why) throw rejected(`Không nhập tệp "${basename(name)}": ${strip(why.messages.vi)}`, `"${basename(name)}" not imported: ${strip(why.messages.en)}`);
      throw rejected(`Tệp "${basename(name)}" không thêm gì mới: các chứng thư trong đó đã có.`, `"${basename(name)}" adds nothing new: what it holds is already loaded.`);
    }
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    let target = safeName(name, gave.kind);
    const taken = new Set(this.station.files.map((f) => f.name));
    for (let i = 2; taken.has(target); i++) target = target.replace(/(-\d+)?(\.[^.]+)$/, `-${i}$2`);
    writeFileDurably(join(this.folder, target), bytes, 0o600);
    this.station = { ...this.station, files: [...this.station.files, { name: target, bytes } satisfies TrustFile] };
    this.rebuild();
    return this.summary();
  }

  /** Trust files on removable media (by extension), for the operator to pick from. */
  mediaFiles(): MediaFile[] {
    const out: MediaFile[] = [];
    const walk = (dir: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (out.length >= MEDIA_MAX_FILES || e.name.startsWith('.')) continue;
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (depth < MEDIA_DEPTH) walk(path, depth + 1);
        } else if (e.isFile() && TRUST_EXTENSIONS.includes(extname(e.name).toLowerCase())) {
          const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
          if (size > 0 && size <= MAX_FILE_BYTES) out.push({ path, name: e.name, size });
        }
      }
    };
    for (const root of this.o.mediaRoots ?? DEFAULT_MEDIA_ROOTS) walk(resolve(root), 0);
    return out;
  }

  /** Only a file mediaFiles() lists now may be read: the page names one, it cannot point anywhere else. */
  mediaFile(path: string): MediaFile {
    const f = this.mediaFiles().find((m) => m.path === path);
    if (!f) throw rejected('Không thấy tệp này trên thẻ nhớ USB nữa: hãy cắm lại và tìm lại.', 'That file is no longer on the USB stick: plug it in again and search again.');
    return f;
  }
}
