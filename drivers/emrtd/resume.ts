// Resuming a read after the card was lifted (the long DG2 read is where it happens): when
// the same card returns in time, secure messaging is opened again and the read continues
// from the bytes already received. Files read before are kept, a partly read file
// continues at its offset. Nothing joined is trusted until the chip has proved it is the
// same: EF.COM, DG1 and EF.SOD are read again and must match byte for byte, and every file
// continued across attempts must hash to the value the (re-read) SOD holds for it.
import type { Transport } from '../apdu/apdu.js';
import { equal } from '../../core/bytes.js';
import { IdkError, isIdkError } from '../../core/errors.js';
import { dgNumberForTag } from './files.js';
import { type RawDocument, type ReadDocumentOptions, type ReadJournal, readDocument } from './read-document.js';
import { hashDataGroup, parseSod } from './sod.js';

/** Files read again after a resume: small, and together they identify the document. */
const PROOF_FILES = ['EF.COM', 'DG1', 'EF.SOD'];

/** Failures after which the chip's session is gone but the card may come back. */
const LOST = ['CARD_REMOVED', 'CARD_RESET'];

function cardChanged(file: string): IdkError {
  return new IdkError(
    'CARD_CHANGED',
    {
      vi: 'Thẻ đặt lại không phải thẻ đang đọc dở: hãy đặt đúng thẻ ban đầu, hoặc bắt đầu đọc lại từ đầu.',
      en: 'The card placed again is not the one being read: place the original card, or start the read again.',
    },
    { detail: { file } },
  );
}

/** How far reading got, for the clerk's message and for the next attempt. */
export interface ResumePoint {
  files: string[];
  file?: string;
  bytes?: number;
}

class ResumeJournal implements ReadJournal {
  readonly files = new Map<string, Uint8Array>();
  partial: { name: string; bytes: Uint8Array } | undefined;
  /** Files whose bytes were joined across attempts: checked against the SOD before use. */
  readonly joined = new Set<string>();
  private resumed = false;

  /** Called before each attempt after the first: from now on files are proved, then reused. */
  startResume(): void {
    this.resumed = true;
  }

  get point(): ResumePoint {
    return { files: [...this.files.keys()], ...(this.partial ? { file: this.partial.name, bytes: this.partial.bytes.length } : {}) };
  }

  reuse(name: string): Uint8Array | undefined {
    if (!this.resumed || PROOF_FILES.includes(name)) return undefined;
    return this.files.get(name);
  }

  prefix(name: string): Uint8Array | undefined {
    if (this.partial?.name !== name) return undefined;
    // A data group continued across attempts is only kept if the SOD can vouch for the join.
    if (name !== 'EF.SOD' && !this.files.has('EF.SOD')) return undefined;
    this.joined.add(name);
    return this.partial.bytes;
  }

  progress(name: string, soFar: Uint8Array): void {
    // A proof file read again must not displace the partly read file it precedes.
    if (this.files.has(name)) return;
    this.partial = { name, bytes: soFar };
  }

  complete(name: string, bytes: Uint8Array): void {
    const before = this.files.get(name);
    if (before && !equal(before, bytes)) throw cardChanged(name);
    this.files.set(name, bytes);
    if (this.partial?.name === name) this.partial = undefined;
  }

  /** Drops a file so the next attempt reads it whole. */
  forget(name: string): void {
    this.files.delete(name);
    this.joined.delete(name);
    if (this.partial?.name === name) this.partial = undefined;
  }

  /** Joined data groups whose hash is not the SOD's: to be read again whole. */
  badJoins(): string[] {
    const sodBytes = this.files.get('EF.SOD');
    const bad: string[] = [];
    for (const name of this.joined) {
      if (name === 'EF.SOD') continue; // its signature is checked by passive authentication
      const bytes = this.files.get(name);
      if (!bytes || !sodBytes) continue;
      let ok: boolean;
      try {
        const sod = parseSod(sodBytes);
        const n = dgNumberForTag(bytes[0]!);
        const expected = n === undefined ? undefined : sod.dataGroupHashes.get(n);
        ok = expected !== undefined && equal(hashDataGroup(sod.hashAlgorithm, bytes), expected);
      } catch {
        ok = false;
      }
      if (!ok) bad.push(name);
    }
    return bad;
  }
}

interface ResumeOptions extends ReadDocumentOptions {
  /**
   * A transport to the card once it is back on the reader (a fresh chip session);
   * rejects when no card came within `withinMs`.
   */
  reconnect(withinMs: number): Promise<Transport>;
  /** How long a lifted card may stay away and the read still continue, ms (default 20 s). */
  resumeWithinMs?: number;
  /** Most resumes in one read (default 5): a card that keeps slipping is better placed again. */
  maxResumes?: number;
  /** Told each time the read waits for the card to come back. */
  onLifted?: (point: ResumePoint) => void;
  /** Told each time the read continues. */
  onResumed?: (point: ResumePoint) => void;
}

export interface ResumedDocument extends RawDocument {
  /** How many times the read continued after the card came back. */
  resumes: number;
}

/** The card did not come back: the same code, and how far the read got. */
function removedAt(e: IdkError, point: ResumePoint): IdkError {
  const done = point.files.length > 0 ? point.files.join(', ') : undefined;
  const at = point.file !== undefined ? `${point.file} ${point.bytes} B` : undefined;
  const en = [done && `read: ${done}`, at && `stopped in ${at}`].filter(Boolean).join('; ');
  const vi = [done && `đã đọc: ${done}`, at && `dừng ở ${at}`].filter(Boolean).join('; ');
  const lead =
    e.code === 'CARD_RESET'
      ? { vi: 'Thẻ bị khởi động lại khi đang đọc', en: 'The card was reset during reading' }
      : { vi: 'Thẻ bị nhấc ra khi đang đọc', en: 'The card was removed during reading' };
  return new IdkError(
    e.code,
    {
      vi: `${lead.vi}${vi ? ` (${vi})` : ''}: hãy đặt lại thẻ lên đầu đọc, giữ yên, rồi đọc lại.`,
      en: `${lead.en}${en ? ` (${en})` : ''}: place it on the reader again, hold it still, and read again.`,
    },
    { cause: e, detail: { ...e.detail, progress: point } },
  );
}

/**
 * `readDocument` that survives the card being lifted: on CARD_REMOVED/CARD_RESET it waits
 * up to `resumeWithinMs` for the card to return, then continues. Fails with the original
 * code (and how far the read got) when the card does not come back or resumes run out,
 * and with CARD_CHANGED when another card comes back.
 */
export async function readDocumentResumable(transport: Transport, opts: ResumeOptions): Promise<ResumedDocument> {
  const journal = new ResumeJournal();
  const within = opts.resumeWithinMs ?? 20_000;
  const maxResumes = opts.maxResumes ?? 5;
  const stats = { apdus: 0, bytesOut: 0, bytesIn: 0 };
  let resumes = 0;
  let rereads = 0;
  let t = transport;
  for (;;) {
    let raw: RawDocument;
    try {
      raw = await readDocument(t, { ...opts, journal });
    } catch (e) {
      if (!isIdkError(e) || !LOST.includes(e.code)) throw e;
      const point = journal.point;
      if (resumes >= maxResumes) throw removedAt(e, point);
      opts.onLifted?.(point);
      try {
        t = await opts.reconnect(within);
      } catch (again) {
        // No card came back in time (or pcscd/the reader went away while waiting).
        if (isIdkError(again) && !['NO_CARD', 'CARD_REMOVED'].includes(again.code)) throw again;
        throw removedAt(e, point);
      }
      resumes++;
      journal.startResume();
      opts.onResumed?.(point);
      continue;
    }
    stats.apdus += raw.stats.apdus;
    stats.bytesOut += raw.stats.bytesOut;
    stats.bytesIn += raw.stats.bytesIn;
    const bad = journal.badJoins();
    if (bad.length > 0 && rereads === 0) {
      // A join the SOD does not confirm: read those files whole once more, in a new session.
      rereads++;
      for (const name of bad) journal.forget(name);
      t = await opts.reconnect(within);
      continue;
    }
    return { ...raw, stats, resumes };
  }
}
