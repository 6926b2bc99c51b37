// One verification after another at one reader: card events -> access key -> read with
// progress -> authenticity -> biometric step -> decision -> (on confirm) record. The
// parts that land later (PC/SC readers, QR keys, stronger authenticity checks, face and
// fingerprint matchers, the store) plug in behind the small interfaces below; while one
// is absent the state says `not-available` and nothing is invented in its place.
import { randomBytes } from 'node:crypto';
import { IdkError, isIdkError, errorData } from '../../core/errors.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import { type AccessKey, validateCan } from '../../drivers/emrtd/read-document.js';
import type {
  AccessKeyInput,
  ApiError,
  AuthenticityView,
  BiometricView,
  CameraPurpose,
  FaceCheckView,
  KioskState,
  PersonView,
  ProgressView,
  QrCheckView,
  QrSource,
  ReaderView,
  RecordView,
  ReviewCheck,
  VerificationView,
} from '../api/contract.js';
import { type ReadReport, decodeDocument } from './report.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';
import { PNG } from 'pngjs';
import { decodeJpeg2000, isJpeg2000 } from '../../drivers/camera/jpeg2000.js';
import type { FaceResult } from './face-result.js';
import { type QrAccess, openedWithLabel, qrCheckView } from './qr-access.js';
import { type CardKey, type CardReader, type KeySource, readCard } from './card-reader.js';
import type { VerificationRecord } from './event.js';
import { authenticityLevel, decide, qrAgreement, storedOutcome } from './policy.js';
import { type BoardingPass, matchPassenger } from '../../drivers/qr/bcbp.js';
import type { BoardingPassView } from '../api/contract.js';

/** A boarding pass held against the chip's holder: name (folded) and date (today, local). */
function boardingPassView(bp: BoardingPass, report: Pick<ReadReport, 'document' | 'vn'>, now = new Date()): BoardingPassView {
  const { kind: _k, ...fields } = bp;
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  const nameMatch = matchPassenger(bp.passengerName, { fullName: report.vn?.fullName, surname: report.document.surname, givenNames: report.document.givenNames }).match;
  return { ...fields, nameMatch, flightToday: bp.date === today };
}

// ---------------------------------------------------------------- plug-in points

interface BiometricResult {
  method: 'face' | 'fingerprint';
  score: number;
  threshold: number;
}

/** What a running biometric step may tell the person in front of the kiosk. */
export interface BiometricUi {
  prompt(p: { code: string; messages: { vi: string; en: string } }): void;
}

/** Face against the live camera, or a fingerprint on the sensor. */
export interface BiometricStep {
  readonly method: 'face' | 'fingerprint';
  /** Needs the live camera: the pipeline enters phase `face` and asks the renderer for frames while it runs. */
  readonly live?: boolean;
  verify(portrait: Uint8Array | undefined, signal: AbortSignal, ui?: BiometricUi): Promise<BiometricResult>;
}

/** The store (offline-cache): keeps the signed event and forwards it. */
export interface Recorder {
  record(v: VerificationRecord): Promise<{ eventId: string }>;
}

interface PipelineOptions {
  reader: CardReader;
  keySources?: KeySource[];
  biometric?: BiometricStep;
  recorder?: Recorder;
  mode: 'demo' | 'live';
  /** CSCAs (and CRLs) to chain Document Signers to; without it a consistent card is amber. */
  trust?: TrustStore;
  /** Minimum ms between two progress states (the last one always goes out). */
  progressEveryMs?: number;
  /** While a key is needed, ask the renderer's camera for frames to find the card's QR code in. */
  qrCamera?: boolean;
  /** How long a card lifted mid-read may stay away and the read still continue, ms (default 20 s). */
  resumeWithinMs?: number;
}

// ---------------------------------------------------------------- pure parts

export function keyFromInput(input: AccessKeyInput): AccessKey {
  if (input.kind === 'can') return { kind: 'can', can: validateCan(input.can) };
  return { kind: 'mrz', key: parseMrzKey(`${input.documentNumber}:${input.dateOfBirth}:${input.dateOfExpiry}`) };
}

export function authenticityView(a: ReadReport['authenticity']): AuthenticityView {
  return { ...authenticityLevel(a), passive: a.passive, chip: a.chip, active: a.active, ...(a.reason ? { detail: a.reason } : {}) };
}

function isFaceResult(r: unknown): r is FaceResult {
  return typeof r === 'object' && r !== null && (r as FaceResult).method === 'face' && typeof (r as FaceResult).matcher === 'string' && Array.isArray((r as FaceResult).quality);
}

/** The auditable part of a face result: models, decision, quality notes, the liveness statement. */
function faceCheckView(r: FaceResult): FaceCheckView {
  return {
    matcher: r.matcher,
    decision: r.decision,
    quality: r.quality.map((q) => ({ code: q.code, subject: q.subject, blocking: q.blocking, messages: { ...q.message } })),
    liveness: { checked: false, messages: { ...r.liveness.message } },
  };
}

/** A biometric step that could not compare: no camera is `not-available`; anything else leaves it to staff (`not-compared`). */
function biometricFailure(method: 'face' | 'fingerprint', e: unknown): BiometricView {
  const reason = errorData(e);
  if (reason.code.startsWith('CAMERA_')) return { status: 'not-available', reason };
  const result = isIdkError(e) ? e.detail?.result : undefined;
  return { status: 'not-compared', method, reason, ...(isFaceResult(result) ? { face: faceCheckView(result) } : {}) };
}

/**
 * The portrait as the renderer can show it: JPEG as it came from the chip; JPEG 2000
 * (which browsers do not decode) decoded here and handed over as PNG, lossless, so the
 * screen shows exactly the chip's pixels. A portrait that does not decode shows as absent.
 */
export async function photoView(report: ReadReport, image: Uint8Array | undefined): Promise<PersonView['photo']> {
  if (!report.face || !image) return null;
  if (report.face.format === 'jpeg') return { url: `data:image/jpeg;base64,${Buffer.from(image).toString('base64')}`, width: report.face.width, height: report.face.height };
  if (report.face.format !== 'jpeg2000' || !isJpeg2000(image)) return { url: null, format: report.face.format };
  try {
    const frame = await decodeJpeg2000(image);
    const png = new PNG({ width: frame.width, height: frame.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const bytes = PNG.sync.write(Object.assign(png, { data: Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength) }), { colorType: 2, inputColorType: 2, inputHasAlpha: false });
    return { url: `data:image/png;base64,${bytes.toString('base64')}`, width: frame.width, height: frame.height };
  } catch {
    return { url: null, format: report.face.format };
  }
}

function verificationView(id: string, report: ReadReport, photo: PersonView['photo'], biometric: BiometricView, qr?: { label: string; view: QrCheckView }): VerificationView {
  const { optionalData: _o, ...document } = report.document;
  const authenticity = authenticityView(report.authenticity);
  return {
    id,
    person: { document, vn: report.vn, photo },
    authenticity,
    biometric,
    decision: decide(authenticity.level, biometric.status, qrAgreement(qr?.view)),
    record: { status: 'not-available' },
    access: qr ? `${report.access} · ${qr.label}` : report.access,
    stats: { apdus: report.stats.apdus, bytes: report.stats.bytesIn + report.stats.bytesOut, ms: report.stats.ms },
    ...(qr ? { qr: qr.view } : {}),
  };
}

/** Rejects when the signal aborts (never resolves otherwise). */
function abortedWith(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

const notPresentKey = (): IdkError =>
  new IdkError('NO_CARD', {
    vi: 'Chưa có thẻ trên đầu đọc: hãy đặt thẻ lên đầu đọc.',
    en: 'No card on the reader: place the card on the reader.',
  });

// ---------------------------------------------------------------- the pipeline

type Listener = (s: KioskState) => void;


function qrBusy(): IdkError {
  return new IdkError('QR_BUSY', {
    vi: 'Đang đọc thẻ: hãy chờ đọc xong rồi mới quét mã QR tiếp theo.',
    en: 'A card is being read: wait until it finishes before scanning the next QR code.',
  });
}

const superseded = (): IdkError => new IdkError('SUPERSEDED', { vi: 'Đã hủy lần đọc này.', en: 'This read was cancelled.' });

/** The reason a skipped face step leaves on the result and the screen (the event keeps only `not-compared`). */
function faceSkipped(): IdkError {
  return new IdkError('FACE_SKIPPED', {
    vi: 'Nhân viên đã dừng camera và tự đối chiếu người với ảnh trên thẻ bằng mắt.',
    en: 'Staff stopped the camera and compared the person with the card photo by eye.',
  });
}

function faceNotRequested(): IdkError {
  return new IdkError('FACE_NOT_REQUESTED', {
    vi: 'Phần mềm gọi yêu cầu đọc thẻ không đối chiếu khuôn mặt: nhân viên đối chiếu bằng mắt.',
    en: 'The calling program asked for a read without the face check: staff compare by eye.',
  });
}

function noFaceStep(): IdkError {
  return new IdkError('STALE_RESULT', {
    vi: 'Bước đối chiếu khuôn mặt này không còn chạy (đã có kết quả, đã xóa hoặc có thẻ khác).',
    en: 'This face check is no longer running (it ended, was cleared, or another card was read).',
  });
}

export class VerificationPipeline {
  private state: KioskState;
  private readonly listeners = new Set<Listener>();
  /** The key for the next read; kept across a slipped card, forgotten after a read or on clear. */
  private key: CardKey | undefined;
  private generation = 0;
  /** The generation of the read in flight (chip, checks, face step), if any. */
  private readingGen: number | undefined;
  private abort: AbortController | undefined;
  private lastProgressAt = 0;
  private report: ReadReport | undefined;
  /** The face step in flight: the clerk may end it (skipFace); `ended` settles once the read has moved on. */
  private faceRun: { id: string; gen: number; skip: AbortController; ended: Promise<void>; end: () => void } | undefined;
  private readonly unsubscribe: () => void;
  /** Airport profile: the boarding pass scanned for this person, and the result it was shown with (the next card drops it). */
  private boardingPass: { pass: BoardingPass; shownWith?: string } | undefined;
  /** Set by a caller of the local service for the read it started (face: false skips the biometric step). */
  private readOptions: { biometric?: boolean } = {};

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
    this.abort?.abort(superseded());
    this.listeners.clear();
  }

  /** Options for the reads that follow, until changed (the local service sets them for the read it started). */
  setReadOptions(o: { biometric?: boolean }): void {
    this.readOptions = { ...o };
  }

  /** The read report behind the result on screen, for the local service's `read --json` object; undefined once it moved on. */
  reportOf(id: string): ReadReport | undefined {
    return this.state.result?.id === id ? this.report : undefined;
  }

  /**
   * A boarding pass from a scanner (airport profile): checked against the result on screen,
   * or kept for the next one when no result is shown yet.
   */
  provideBoardingPass(pass: BoardingPass): void {
    const result = this.state.result;
    const report = result && this.reportOf(result.id);
    if (result && report && (this.state.phase === 'result' || this.state.phase === 'confirmed')) {
      this.boardingPass = { pass, shownWith: result.id };
      this.set({ result: { ...result, boardingPass: boardingPassView(pass, report) } });
    } else this.boardingPass = { pass };
  }

  /** A key typed by the clerk (keyFromInput) or pushed by a scanner; reads at once if a card waits. */
  provideKey(key: AccessKey): void {
    // A key given on purpose reads the card that is there, even the previous person's.
    this.awaitingNextCard = false;
    this.key = key.kind === 'can' ? { kind: 'can', can: validateCan(key.can) } : key;
    if (this.state.qrWaiting) this.set({ qrWaiting: undefined });
    if (this.opts.reader.status() === 'card') void this.read();
    else if (this.state.phase === 'need-key') this.set({ phase: 'idle', keyError: undefined });
  }

  /**
   * The keys from one scanned QR (Kiosk.handleQrText): CAN first, MRZ candidates on a chip
   * without PACE. A scan over a finished result is the next person's, so it starts afresh.
   */
  provideQr(keys: QrAccess, source: QrSource): void {
    const phase = this.state.phase;
    if (phase === 'reading' || phase === 'checking' || phase === 'face') throw qrBusy();
    if (phase === 'result' || phase === 'confirmed') this.clear();
    this.key = { kind: 'qr', keys, source };
    if (this.opts.reader.status() === 'card') void this.read();
    else this.set({ phase: 'idle', keyError: undefined, qrWaiting: source });
  }

  /** A scan that is not a usable CCCD QR: the clerk sees why (never the QR's content) where keys are asked for. */
  rejectQr(error: unknown): void {
    const phase = this.state.phase;
    if (phase === 'reading' || phase === 'checking' || phase === 'face') return;
    this.set({ keyError: errorData(error) });
  }

  /** Forget the person: result, key, errors. The reader state stays. */
  clear(): void {
    this.generation++;
    this.abort?.abort(superseded());
    // A face step waits on the person, not on the chip: nothing to finish, let the next read start at once.
    if (this.state.phase === 'face') this.readingGen = undefined;
    this.key = undefined;
    this.report = undefined;
    this.boardingPass = undefined;
    if (this.state.qrWaiting) this.set({ qrWaiting: undefined });
    const card = this.opts.reader.status() === 'card';
    // After a recorded result the card on the reader is the previous person's: wait for the next card
    // (lifted and another placed) rather than ask for its key again. Otherwise the clerk reads it again.
    this.awaitingNextCard = card && this.state.phase === 'confirmed';
    this.set({ phase: card && !this.awaitingNextCard ? 'need-key' : 'idle', result: undefined, progress: undefined, error: undefined, keyError: undefined, camera: undefined });
  }

  /** "Next person" after a recorded result, with that person's card still on the reader. */
  private awaitingNextCard = false;

  /**
   * The clerk ends the face step and compares by eye: the result is `not-compared`
   * (FACE_SKIPPED), so the decision is never `accept`. Resolves once the result is set.
   */
  async skipFace(id: string): Promise<KioskState> {
    const run = this.faceRun;
    if (this.state.phase !== 'face' || !run || run.id !== id || run.gen !== this.generation) throw noFaceStep();
    run.skip.abort();
    await run.ended;
    return this.state;
  }

  /**
   * Records the result as the rule decided it: an accept is confirmed; a review only with
   * what the clerk checked (`checked`, at least one); a reject records the refusal (the
   * stored outcome is `rejected`), never an acceptance.
   */
  async confirm(id: string, checked?: readonly ReviewCheck[]): Promise<RecordView> {
    const result = this.onScreen(id);
    if (result.decision === 'review' && result.record.status !== 'stored' && (checked?.length ?? 0) === 0) {
      throw new IdkError('REVIEW_CHECK_REQUIRED', {
        vi: 'Kết quả này cần cán bộ kiểm tra: hãy đánh dấu những gì bạn đã kiểm tra rồi mới xác nhận.',
        en: 'This result needs a staff check: tick what you checked, then confirm.',
      });
    }
    return this.commit(result, result.decision === 'review' && checked?.length ? { checked: [...checked] } : undefined);
  }

  /**
   * Records the result as the rule decided it, with no staff action: the local service's
   * read, like `read --record`. A review is stored as `review` (no checks claimed), a
   * reject as `rejected`; only a clerk's confirm adds checks, only an override accepts.
   */
  async recordAsDecided(id: string): Promise<RecordView> {
    return this.commit(this.onScreen(id), undefined);
  }

  /**
   * A clerk accepts against a reject (the operator PIN was checked by the caller): the event
   * records the acceptance with the typed reason. Only a reject not yet recorded can be overridden.
   */
  async override(id: string, reason: string): Promise<RecordView> {
    const result = this.onScreen(id);
    if (result.decision !== 'reject' || result.record.status === 'stored' || result.record.status === 'pending') {
      throw new IdkError('OVERRIDE_NOT_ALLOWED', {
        vi: 'Chỉ kết quả "Từ chối" chưa ghi nhận mới có thể chấp nhận ngoại lệ.',
        en: 'Only a "Reject" result not yet recorded can be accepted as an exception.',
      });
    }
    const line = reason.normalize('NFC').trim();
    if (line.length < 5 || line.length > 200 || /[\p{Cc}\u2028\u2029]/u.test(line)) {
      throw new IdkError('OVERRIDE_REASON_REQUIRED', {
        vi: 'Hãy ghi lý do chấp nhận ngoại lệ trên một dòng (từ 5 đến 200 ký tự).',
        en: 'Type the reason for the exception on one line (5 to 200 characters).',
      });
    }
    return this.commit(result, { override: line });
  }

  /** The result on screen with this id, once the face step is over. */
  private onScreen(id: string): VerificationView {
    const result = this.state.result;
    if (this.state.phase === 'face' && result?.id === id) {
      throw new IdkError('FACE_PENDING', {
        vi: 'Đang đối chiếu khuôn mặt: hãy chờ kết quả rồi xác nhận.',
        en: 'The face check is still running: wait for its result, then confirm.',
      });
    }
    if (!result || result.id !== id || !this.report) {
      throw new IdkError('STALE_RESULT', {
        vi: 'Kết quả này không còn trên màn hình (đã xóa hoặc đã có thẻ khác): hãy đọc lại thẻ.',
        en: 'This result is no longer on screen (cleared or another card was read): read the card again.',
      });
    }
    return result;
  }

  private async commit(result: VerificationView, staff: VerificationRecord['staff']): Promise<RecordView> {
    const id = result.id;
    if (result.record.status === 'stored' || result.record.status === 'pending') return result.record;
    const recorder = this.opts.recorder;
    if (!recorder || !this.report) {
      const record: RecordView = { status: 'not-available' };
      this.set({ phase: 'confirmed', result: { ...result, record } });
      return record;
    }
    const gen = this.generation;
    this.set({ result: { ...result, record: { status: 'pending' } } });
    let record: RecordView;
    try {
      const { eventId } = await recorder.record({ id, at: new Date().toISOString(), report: this.report, decision: result.decision, biometric: result.biometric, reader: this.opts.reader.name, ...(result.qr ? { qr: result.qr } : {}), ...(staff ? { staff } : {}) });
      record = { status: 'stored', eventId, outcome: staff?.override ? 'accepted' : storedOutcome(result.decision), ...(staff?.override ? { override: true as const } : {}) };
    } catch (e) {
      record = { status: 'failed', error: errorData(e) };
    }
    if (gen === this.generation && this.state.result?.id === id) {
      this.set({ phase: record.status === 'stored' ? 'confirmed' : 'result', result: { ...this.state.result, record } });
    }
    return record;
  }

  private readerView(): ReaderView {
    const r = this.opts.reader;
    const problem = r.status() === 'no-reader' ? r.problem : undefined;
    return { name: r.name, status: r.status(), emulated: r.emulated, ...(problem ? { problem: errorData(problem) } : {}) };
  }

  /** The camera reads the MRZ while the key prompt is up (on), or goes back to what it did (off). */
  wantMrz(on: boolean): void {
    if (this.state.phase !== 'need-key') return;
    if (on) this.set({ camera: { purpose: 'mrz' } });
    else if (this.state.camera?.purpose === 'mrz') this.set({ camera: undefined });
  }

  /** New trust anchors (imported in Settings): the next read chains to them. */
  setTrust(trust: TrustStore | undefined): void {
    this.opts.trust = trust;
  }

  /** The store's health as the kiosk last found it (undefined = fine); only a change is pushed. */
  setStoreProblem(problem: ApiError | undefined): void {
    if (this.state.storeProblem?.code === problem?.code) return;
    this.set({ storeProblem: problem });
  }

  /** A prompt for the person at the camera (QR hints, face quality), only while frames for that purpose are wanted. */
  cameraPrompt(purpose: CameraPurpose, prompt: { code: string; messages: { vi: string; en: string } } | undefined): void {
    const cam = this.state.camera;
    if (cam?.purpose !== purpose || cam.prompt?.code === prompt?.code) return;
    this.set({ camera: prompt ? { purpose, prompt: { code: prompt.code, messages: { ...prompt.messages } } } : { purpose } });
  }

  private set(patch: Partial<KioskState>): void {
    const next = { ...this.state, ...patch, seq: this.state.seq + 1 };
    // An MRZ scan belongs to the key prompt: it ends with it.
    if (next.phase !== 'need-key' && next.camera?.purpose === 'mrz') next.camera = undefined;
    // The QR camera follows the phase: on while a key is needed, off otherwise (the face step has its own).
    if (this.opts.qrCamera) {
      if (next.phase === 'need-key' && !next.camera) next.camera = { purpose: 'qr' };
      else if (next.phase !== 'need-key' && next.camera?.purpose === 'qr') next.camera = undefined;
    }
    for (const k of Object.keys(next) as Array<keyof KioskState>) if (next[k] === undefined) delete next[k];
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  private onReaderChange(): void {
    const reader = this.readerView();
    if (reader.status !== 'card') {
      // Lifted after the result was confirmed: the person has left with their card, so their data goes too.
      if (this.state.phase === 'confirmed') {
        this.set({ reader });
        this.clear();
        return;
      }
      this.awaitingNextCard = false;
      // Removal: an ongoing read fails on its own (CARD_REMOVED); a waiting prompt goes back to idle.
      this.set({ reader, ...(this.state.phase === 'need-key' ? { phase: 'idle' as const, keyError: undefined } : {}) });
      return;
    }
    const placed = this.state.reader.status !== 'card';
    this.set({ reader });
    if (!placed && this.awaitingNextCard) return;
    this.awaitingNextCard = false;
    // A card placed during the face step is the next person's: drop the face step and read it.
    if (placed && this.state.phase === 'face') {
      this.generation++;
      this.abort?.abort(superseded());
      this.readingGen = undefined;
      this.report = undefined;
      this.set({ result: undefined, camera: undefined });
    }
    if (this.readingGen !== undefined) return;
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
    if (this.readingGen !== undefined) return;
    const key = this.key;
    if (!key) return;
    const gen = ++this.generation;
    this.readingGen = gen;
    // A pass shown with the previous person's result is theirs; one scanned before this card is this person's.
    if (this.boardingPass?.shownWith) this.boardingPass = undefined;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.report = undefined;
    this.set({ phase: 'reading', result: undefined, error: undefined, keyError: undefined, qrWaiting: undefined, progress: { file: '', read: 0, total: 1, done: 0, of: 1, fraction: 0 } });
    const started = performance.now();
    try {
      if (this.opts.reader.status() !== 'card') throw notPresentKey();
      const { raw, qr } = await readCard(this.opts.reader, key, {
        signal,
        resumeWithinMs: this.opts.resumeWithinMs,
        onProgress: (p) => gen === this.generation && this.progress(p),
        // The card slipped: the read waits for it to come back and then goes on where it was.
        onLifted: () => gen === this.generation && this.state.progress && this.set({ progress: { ...this.state.progress, lifted: true } }),
        onResumed: () => gen === this.generation && this.state.progress && this.set({ progress: { ...this.state.progress, lifted: undefined } }),
      });
      // The chip opened with this key: forget it, the next person brings their own.
      this.key = undefined;
      if (gen !== this.generation) return;
      this.set({ phase: 'checking', progress: { ...(this.state.progress as ProgressView), fraction: 1, lifted: undefined } });
      const { report, faceImage } = await decodeDocument(raw, performance.now() - started, { trust: this.opts.trust });
      const photo = await photoView(report, faceImage);
      const qrCheck = qr && { label: openedWithLabel(qr.openedWith), view: qrCheckView(qr.keys.qr, qr.openedWith, qr.source, report) };
      if (gen !== this.generation) return;
      const id = randomBytes(12).toString('base64url');
      const step = this.readOptions.biometric === false ? undefined : this.opts.biometric;
      const skip = new AbortController();
      if (step?.live) {
        let end = (): void => undefined;
        const ended = new Promise<void>((resolve) => (end = resolve));
        this.faceRun = { id, gen, skip, ended, end };
        // The chip is done; the person now looks at the camera while the clerk already sees the data.
        this.set({ phase: 'face', progress: undefined, camera: { purpose: 'face' }, result: verificationView(id, report, photo, { status: 'pending', method: step.method }, qrCheck) });
      }
      const biometric = await this.biometric(faceImage, signal, gen, skip.signal);
      if (gen !== this.generation) return;
      this.report = report;
      const view = verificationView(id, report, photo, biometric, qrCheck);
      const bp = this.boardingPass;
      if (bp) bp.shownWith = id;
      this.set({ phase: 'result', progress: undefined, camera: undefined, result: bp ? { ...view, boardingPass: boardingPassView(bp.pass, report) } : view });
    } catch (e) {
      if (gen !== this.generation) return;
      const error = errorData(e);
      if (error.code === 'ACCESS_DENIED' || error.code === 'BAD_ACCESS_KEY' || error.code === 'QR_KEY_NOT_FOUND') {
        this.key = undefined;
        this.set({ phase: 'need-key', keyError: error, progress: undefined });
      } else {
        this.set({ phase: 'error', error, progress: undefined, camera: undefined });
      }
    } finally {
      if (this.readingGen === gen) this.readingGen = undefined;
      if (this.faceRun?.gen === gen) {
        this.faceRun.end();
        this.faceRun = undefined;
      }
    }
  }

  private async biometric(portrait: Uint8Array | undefined, signal: AbortSignal, gen: number, skip: AbortSignal): Promise<BiometricView> {
    if (this.readOptions.biometric === false && this.opts.biometric) return { status: 'not-available', reason: errorData(faceNotRequested()) };
    const step = this.opts.biometric;
    if (!step) return { status: 'not-available' };
    const ui: BiometricUi = {
      prompt: (p) => {
        if (gen === this.generation && this.state.camera) this.set({ camera: { ...this.state.camera, prompt: { code: p.code, messages: { ...p.messages } } } });
      },
    };
    let r: BiometricResult;
    const stepSignal = AbortSignal.any([signal, skip]);
    // Deferred so a step that throws at once fails like one that rejects.
    const running = Promise.resolve().then(() => step.verify(portrait, stepSignal, ui));
    // A frame being compared still finishes in the worker; its answer no longer counts.
    running.catch(() => undefined);
    try {
      // The clerk's skip ends the step at once, not after the frame in the worker.
      r = await Promise.race([running, abortedWith(skip)]);
    } catch (e) {
      if (skip.aborted && !signal.aborted && gen === this.generation) return { status: 'not-compared', method: step.method, reason: errorData(faceSkipped()) };
      // Aborted (clear, next card): the caller drops it. Anything else leaves the decision to staff, not an error screen.
      if (signal.aborted || gen !== this.generation) throw e;
      return biometricFailure(step.method, e);
    }
    const face = isFaceResult(r) ? { face: faceCheckView(r) } : {};
    return { status: r.score >= r.threshold ? 'matched' : 'not-matched', method: r.method, score: r.score, threshold: r.threshold, ...face };
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
