// One verification after another at one reader: card events -> access key -> read with
// progress -> authenticity -> biometric step -> decision -> (on confirm) record. The
// parts that land later (PC/SC readers, QR keys, stronger authenticity checks, face and
// fingerprint matchers, the store) plug in behind the small interfaces below; while one
// is absent the state says `not-available` and nothing is invented in its place.
import { randomBytes } from 'node:crypto';
import type { Transport } from '../../drivers/apdu/apdu.js';
import { IdkError, isIdkError } from '../../drivers/apdu/errors.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import { type AccessKey, type RawDocument, readDocument, validateCan } from '../../drivers/emrtd/read-document.js';
import type {
  AccessKeyInput,
  ApiError,
  AuthenticityView,
  BiometricView,
  Decision,
  KioskState,
  PersonView,
  ProgressView,
  ReaderView,
  RecordView,
  VerificationView,
} from '../api/contract.js';
import { type ReadReport, decodeDocument } from './report.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';

// ---------------------------------------------------------------- plug-in points

/** A card reader: PC/SC (drivers/pcsc) or the software chip in demo mode. */
export interface CardReader {
  readonly name: string;
  /** True when a software chip stands in for the card. */
  readonly emulated: boolean;
  status(): 'no-reader' | 'empty' | 'card';
  /** Why there is no usable reader (pcscd down, none plugged in), for the clerk to act on. */
  readonly problem?: IdkError | undefined;
  /** Called on every presence change; returns unsubscribe. */
  onChange(listener: () => void): () => void;
  /** A transport to the card now in the field (a fresh session each time). */
  connect(): Promise<Transport>;
}

/** Where access keys come from without typing: a QR scanner, a demo card's CAN. */
export interface KeySource {
  readonly name: string;
  /** A key for the card just placed, if this source has one. */
  keyFor(): AccessKey | undefined;
}

/**
 * Authenticity beyond what decoding already says (trust store, chip and active
 * authentication). It may talk to the chip through the same session's transport.
 */
export interface Authenticator {
  check(raw: RawDocument, report: ReadReport, transport: Transport): Promise<ReadReport['authenticity']>;
}

export interface BiometricResult {
  method: 'face' | 'fingerprint';
  score: number;
  threshold: number;
}

/** Face against the live camera, or a fingerprint on the sensor. */
export interface BiometricStep {
  readonly method: 'face' | 'fingerprint';
  verify(portrait: Uint8Array | undefined, signal: AbortSignal): Promise<BiometricResult>;
}

export interface VerificationRecord {
  id: string;
  at: string;
  report: ReadReport;
  decision: Decision;
  biometric: BiometricView;
}

/** The store (offline-cache): keeps the signed event and forwards it. */
export interface Recorder {
  record(v: VerificationRecord): Promise<{ eventId: string }>;
}

export interface PipelineOptions {
  reader: CardReader;
  keySources?: KeySource[];
  authenticator?: Authenticator;
  biometric?: BiometricStep;
  recorder?: Recorder;
  mode: 'demo' | 'live';
  /** CSCAs (and CRLs) to chain Document Signers to; without it a consistent card is amber. */
  trust?: TrustStore;
  /** Minimum ms between two progress states (the last one always goes out). */
  progressEveryMs?: number;
}

// ---------------------------------------------------------------- pure parts

export function toApiError(e: unknown): ApiError {
  if (isIdkError(e)) return { code: e.code, messages: { ...e.messages } };
  return {
    code: 'INTERNAL',
    messages: {
      vi: 'Lỗi không mong đợi trong phần mềm: hãy thử lại; nếu lặp lại, báo cho bộ phận kỹ thuật.',
      en: 'Unexpected software error: try again; if it repeats, tell technical support.',
    },
  };
}

export function keyFromInput(input: AccessKeyInput): AccessKey {
  if (input.kind === 'can') return { kind: 'can', can: validateCan(input.can) };
  return { kind: 'mrz', key: parseMrzKey(`${input.documentNumber}:${input.dateOfBirth}:${input.dateOfExpiry}`) };
}

export function authenticityView(a: ReadReport['authenticity']): AuthenticityView {
  const base = { passive: a.passive, chip: a.chip, active: a.active, ...(a.reason ? { detail: a.reason } : {}) };
  const altered = Object.values(a.dataGroups).some((v) => v === 'mismatch' || v === 'not-in-sod');
  if (a.passive === 'invalid') return { ...base, level: 'red', reason: altered ? 'data-altered' : 'signature-invalid' };
  if (a.chip === 'invalid' || a.active === 'invalid') return { ...base, level: 'red', reason: 'clone-suspected' };
  if (a.passive === 'no-trust-anchor') return { ...base, level: 'amber', reason: 'no-trust-anchor' };
  if (a.passive === 'not-checked') return { ...base, level: 'amber', reason: 'not-checked' };
  // Genuine data on a copied chip looks the same: green needs chip or active authentication to pass (as main/summary.ts).
  if (a.chip !== 'valid' && a.active !== 'valid') return { ...base, level: 'amber', reason: 'chip-auth-pending' };
  return { ...base, level: 'green', reason: 'all-valid' };
}

/** Accept only what is proven; reject what is disproven; a person looks at the rest. */
export function decide(a: AuthenticityView, b: BiometricView): Decision {
  if (a.level === 'red' || b.status === 'not-matched') return 'reject';
  if (a.level === 'green' && b.status === 'matched') return 'accept';
  return 'review';
}

function photoView(report: ReadReport, image: Uint8Array | undefined): PersonView['photo'] {
  if (!report.face || !image) return null;
  // Browsers show JPEG; JPEG 2000 portraits need a decoder we do not ship yet.
  if (report.face.format !== 'jpeg') return { url: null, format: report.face.format };
  return { url: `data:image/jpeg;base64,${Buffer.from(image).toString('base64')}`, width: report.face.width, height: report.face.height };
}

export function verificationView(id: string, report: ReadReport, image: Uint8Array | undefined, biometric: BiometricView): VerificationView {
  const { optionalData: _o, ...document } = report.document;
  const authenticity = authenticityView(report.authenticity);
  return {
    id,
    person: { document, vn: report.vn, photo: photoView(report, image) },
    authenticity,
    biometric,
    decision: decide(authenticity, biometric),
    record: { status: 'not-available' },
    access: report.access,
    stats: { apdus: report.stats.apdus, bytes: report.stats.bytesIn + report.stats.bytesOut, ms: report.stats.ms },
  };
}

const notPresentKey = (): IdkError =>
  new IdkError('NO_CARD', {
    vi: 'Chưa có thẻ trên đầu đọc: hãy đặt thẻ lên đầu đọc.',
    en: 'No card on the reader: place the card on the reader.',
  });

// ---------------------------------------------------------------- the pipeline

type Listener = (s: KioskState) => void;

export class VerificationPipeline {
  private state: KioskState;
  private readonly listeners = new Set<Listener>();
  /** The key for the next read; kept across a slipped card, forgotten after a read or on clear. */
  private key: AccessKey | undefined;
  private generation = 0;
  private reading = false;
  private abort: AbortController | undefined;
  private lastProgressAt = 0;
  private report: ReadReport | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: PipelineOptions) {
    this.state = { seq: 0, mode: opts.mode, reader: this.readerView(), phase: 'idle' };
    this.unsubscribe = opts.reader.onChange(() => this.onReaderChange());
    if (opts.reader.status() === 'card') this.onReaderChange();
  }

  get current(): KioskState {
    return this.state;
  }

  onState(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.unsubscribe();
    this.abort?.abort();
    this.listeners.clear();
  }

  /** A key typed by the clerk (keyFromInput) or pushed by a scanner; reads at once if a card waits. */
  provideKey(key: AccessKey): void {
    this.key = key.kind === 'can' ? { kind: 'can', can: validateCan(key.can) } : key;
    if (this.opts.reader.status() === 'card') void this.read();
    else if (this.state.phase === 'need-key') this.set({ phase: 'idle', keyError: undefined });
  }

  /** Forget the person: result, key, errors. The reader state stays. */
  clear(): void {
    this.generation++;
    this.abort?.abort();
    this.key = undefined;
    this.report = undefined;
    const card = this.opts.reader.status() === 'card';
    this.set({ phase: card ? 'need-key' : 'idle', result: undefined, progress: undefined, error: undefined, keyError: undefined });
  }

  async confirm(id: string): Promise<RecordView> {
    const result = this.state.result;
    if (!result || result.id !== id || !this.report) {
      throw new IdkError('STALE_RESULT', {
        vi: 'Kết quả này không còn trên màn hình (đã xóa hoặc đã có thẻ khác): hãy đọc lại thẻ.',
        en: 'This result is no longer on screen (cleared or another card was read): read the card again.',
      });
    }
    if (result.record.status === 'stored' || result.record.status === 'pending') return result.record;
    const recorder = this.opts.recorder;
    if (!recorder) {
      const record: RecordView = { status: 'not-available' };
      this.set({ phase: 'confirmed', result: { ...result, record } });
      return record;
    }
    const gen = this.generation;
    this.set({ result: { ...result, record: { status: 'pending' } } });
    let record: RecordView;
    try {
      const { eventId } = await recorder.record({ id, at: new Date().toISOString(), report: this.report, decision: result.decision, biometric: result.biometric });
      record = { status: 'stored', eventId };
    } catch (e) {
      record = { status: 'failed', error: toApiError(e) };
    }
    if (gen === this.generation && this.state.result?.id === id) {
      this.set({ phase: record.status === 'stored' ? 'confirmed' : 'result', result: { ...this.state.result, record } });
    }
    return record;
  }

  private readerView(): ReaderView {
    const r = this.opts.reader;
    const problem = r.status() === 'no-reader' ? r.problem : undefined;
    return { name: r.name, status: r.status(), emulated: r.emulated, ...(problem ? { problem: toApiError(problem) } : {}) };
  }

  private set(patch: Partial<KioskState>): void {
    const next = { ...this.state, ...patch, seq: this.state.seq + 1 };
    for (const k of Object.keys(next) as Array<keyof KioskState>) if (next[k] === undefined) delete next[k];
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  private onReaderChange(): void {
    const reader = this.readerView();
    if (reader.status !== 'card') {
      // Removal: an ongoing read fails on its own (CARD_REMOVED); a waiting prompt goes back to idle.
      this.set({ reader, ...(this.state.phase === 'need-key' ? { phase: 'idle' as const, keyError: undefined } : {}) });
      return;
    }
    this.set({ reader });
    if (this.reading) return;
    if (!this.key) {
      for (const s of this.opts.keySources ?? []) {
        const k = s.keyFor();
        if (k) {
          this.key = k;
          break;
        }
      }
    }
    if (this.key) void this.read();
    else this.set({ phase: 'need-key', result: undefined, progress: undefined, error: undefined });
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    const key = this.key;
    if (!key) return;
    this.reading = true;
    const gen = ++this.generation;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.report = undefined;
    this.set({ phase: 'reading', result: undefined, error: undefined, keyError: undefined, progress: { file: '', read: 0, total: 1, done: 0, of: 1, fraction: 0 } });
    const started = performance.now();
    try {
      if (this.opts.reader.status() !== 'card') throw notPresentKey();
      const transport = await this.opts.reader.connect();
      const raw = await readDocument(transport, { access: key, onProgress: (p) => gen === this.generation && this.progress(p) });
      // The chip opened with this key: forget it, the next person brings their own.
      this.key = undefined;
      if (gen !== this.generation) return;
      this.set({ phase: 'checking', progress: { ...(this.state.progress as ProgressView), fraction: 1 } });
      const { report, faceImage } = await decodeDocument(raw, performance.now() - started, { trust: this.opts.trust });
      if (this.opts.authenticator) report.authenticity = await this.opts.authenticator.check(raw, report, transport);
      if (gen !== this.generation) return;
      const biometric = await this.biometric(faceImage, signal);
      if (gen !== this.generation) return;
      this.report = report;
      const id = randomBytes(12).toString('base64url');
      this.set({ phase: 'result', progress: undefined, result: verificationView(id, report, faceImage, biometric) });
    } catch (e) {
      if (gen !== this.generation) return;
      const error = toApiError(e);
      if (error.code === 'ACCESS_DENIED' || error.code === 'BAD_ACCESS_KEY') {
        this.key = undefined;
        this.set({ phase: 'need-key', keyError: error, progress: undefined });
      } else {
        this.set({ phase: 'error', error, progress: undefined });
      }
    } finally {
      this.reading = false;
    }
  }

  private async biometric(portrait: Uint8Array | undefined, signal: AbortSignal): Promise<BiometricView> {
    const step = this.opts.biometric;
    if (!step) return { status: 'not-available' };
    const r = await step.verify(portrait, signal);
    return { status: r.score >= r.threshold ? 'matched' : 'not-matched', method: r.method, score: r.score, threshold: r.threshold };
  }

  private progress(p: { file: string; read: number; total: number; done: number; of: number }): void {
    const now = performance.now();
    const last = p.read === p.total && p.done === p.of - 1;
    const sameFile = this.state.progress?.file === p.file;
    if (!last && sameFile && now - this.lastProgressAt < (this.opts.progressEveryMs ?? 50)) return;
    this.lastProgressAt = now;
    const fraction = Math.min(1, (p.done + (p.total > 0 ? p.read / p.total : 1)) / p.of);
    this.set({ progress: { file: p.file, read: p.read, total: p.total, done: p.done, of: p.of, fraction } });
  }
}
