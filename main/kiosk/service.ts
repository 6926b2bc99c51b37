// The kiosk behind the local identity service (main/api/service.ts): a paired program
// starts a read on the kiosk's reader, follows it, and gets the `read --json` object plus
// the decision of the one rule (main/verify/policy.ts, through the pipeline), the face
// check, the stored event's id and a receipt signed by the device key.
//
// A service read is an ordinary kiosk read: the same pipeline, the same screen (the person
// or clerk sees it, types the key when none was sent), the same record on the same store.
// One read at a time: a second one while it runs, or while the desk reads a card, is
// READER_BUSY. Finished reads stay in memory for a few minutes for GET, then are forgotten.
import { randomBytes } from 'node:crypto';
import { IdkError, errorData, errorFromData } from '../../core/errors.js';
import { patientFromReport } from '../formats/fhir.js';
import { pdfOf, receiptInput } from './print.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import type { KioskState, VerificationView } from '../api/contract.js';
import type { ServiceDevice, ServiceEvent, ServiceHost, ServiceRead, ServiceReadRequest, ServiceResult, ServiceStatus } from '../api/service-contract.js';
import { type DeviceSigner, signReceipt } from '../formats/receipt.js';
import { keyFromInput } from '../verify/pipeline.js';
import { accessFromQr } from '../verify/qr-access.js';
import type { ReadReport } from '../verify/report.js';
import type { Kiosk } from './kiosk.js';

export interface KioskServiceOptions {
  /** May a caller get the chip's portrait (`photo: true`)? Asked at each read: the operator can change it. Default: no. */
  photoAllowed?: () => boolean;
  /** How long a read waits for a card or a key at the kiosk (default 120 s). */
  waitMs?: number;
  /** How long a finished read stays available to GET (default 10 min). */
  keepMs?: number;
}

interface Job {
  id: string;
  client: string;
  view: ServiceRead;
  keyGiven: boolean;
  photo: boolean;
  /** The pipeline reached the chip for this job (so going back to idle means it was cleared). */
  started: boolean;
  resultId?: string;
  report?: ReadReport;
  verification?: VerificationView;
  timer?: NodeJS.Timeout;
  forget?: NodeJS.Timeout;
  waiters: Set<() => void>;
}

const readerBusy = (): IdkError =>
  new IdkError('READER_BUSY', {
    vi: 'Đầu đọc đang bận với một lần đọc khác: chờ lần đó xong rồi gửi lại.',
    en: 'The reader is busy with another read: wait until it finishes, then send again.',
  });

const readNotFound = (): IdkError =>
  new IdkError('READ_NOT_FOUND', {
    vi: 'Không có lần đọc này (sai mã, của ứng dụng khác, hoặc đã quá hạn lưu).',
    en: 'No such read (wrong id, another program’s, or kept past its time).',
  });

const notFinished = (): IdkError =>
  new IdkError('READ_NOT_FINISHED', { vi: 'Lần đọc này chưa xong.', en: 'This read has not finished yet.' });

const noCardInTime = (): IdkError =>
  new IdkError('NO_CARD', { vi: 'Không có thẻ nào được đặt lên đầu đọc kịp thời.', en: 'No card was placed on the reader in time.' });

const keyInTime = (): IdkError =>
  new IdkError('READ_TIMED_OUT', { vi: 'Không ai nhập khóa truy cập (CAN) ở ki-ốt kịp thời.', en: 'Nobody entered the access key (CAN) at the kiosk in time.' });

const cancelled = (): IdkError => new IdkError('SUPERSEDED', { vi: 'Lần đọc đã bị hủy ở ki-ốt.', en: 'The read was cancelled at the kiosk.' });

const photoNotAllowed = (): IdkError =>
  new IdkError('PHOTO_NOT_ALLOWED', {
    vi: 'Cài đặt của ki-ốt không cho phép gửi ảnh chân dung cho phần mềm khác.',
    en: "The kiosk's settings do not allow giving the portrait to other programs.",
  });

const noReader = (): IdkError =>
  new IdkError('NO_READER', { vi: 'Ki-ốt chưa có đầu đọc thẻ nào.', en: 'The kiosk has no card reader.' });

const FINAL = new Set(['done', 'failed', 'cancelled']);

export class KioskService implements ServiceHost {
  private active: Job | undefined;
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Map<(e: ServiceEvent) => void, string>();
  private lastStatus = '';
  private readonly off: () => void;
  private readonly waitMs: number;
  private readonly keepMs: number;

  constructor(
    private readonly kiosk: Kiosk,
    private readonly signer: DeviceSigner,
    private readonly o: KioskServiceOptions = {},
  ) {
    this.waitMs = o.waitMs ?? 120_000;
    this.keepMs = o.keepMs ?? 10 * 60_000;
    this.off = kiosk.subscribe((e) => {
      if (e.event !== 'state') return;
      this.onState(e.data);
      void this.statusChanged();
    });
  }

  close(): void {
    this.off();
    for (const j of this.jobs.values()) {
      clearTimeout(j.timer);
      clearTimeout(j.forget);
    }
    this.jobs.clear();
    this.listeners.clear();
  }

  async status(): Promise<ServiceStatus> {
    const s = this.kiosk.state;
    const hello = await this.kiosk.handlers.hello({});
    return {
      reader: { name: s.reader.name, status: s.reader.status, emulated: s.reader.emulated },
      card: s.reader.status === 'card',
      kiosk: { mode: s.mode, phase: s.phase, busy: this.busy(s), profile: hello.settings.profile, station: hello.settings.station },
      version: hello.version,
    };
  }

  device(): ServiceDevice {
    return { deviceId: this.signer.deviceId, alg: 'EdDSA', jwk: { ...this.signer.publicJwk } };
  }

  private busy(s: KioskState): boolean {
    return (this.active !== undefined && !FINAL.has(this.active.view.status)) || s.phase === 'reading' || s.phase === 'checking' || s.phase === 'face';
  }

  startRead(client: string, req: ServiceReadRequest): ServiceRead {
    if (this.busy(this.kiosk.state)) throw readerBusy();
    // No reader at all (pcscd down, none plugged in): say so now rather than wait for a card that cannot come.
    const reader = this.kiosk.state.reader;
    if (reader.status === 'no-reader') throw reader.problem ? errorFromData(reader.problem) : noReader();
    // The key is checked before anything changes at the kiosk: a malformed one is the caller's to fix.
    const key = req.can !== undefined ? keyFromInput({ kind: 'can', can: req.can }) : req.mrz !== undefined ? { kind: 'mrz' as const, key: parseMrzKey(req.mrz) } : undefined;
    const qr = req.qr !== undefined ? accessFromQr(req.qr) : undefined;
    if (req.photo && !this.photoAllowed()) throw photoNotAllowed();
    const job: Job = {
      id: randomBytes(12).toString('base64url'),
      client,
      view: { id: '', status: 'waiting-card', startedAt: new Date().toISOString() },
      keyGiven: key !== undefined || qr !== undefined,
      photo: req.photo === true,
      started: false,
      waiters: new Set(),
    };
    job.view.id = job.id;
    this.active = job;
    this.jobs.set(job.id, job);
    job.timer = setTimeout(() => this.timeOut(job), this.waitMs);
    const pipeline = this.kiosk.pipeline;
    // The previous person's result leaves the screen: this read is the next person's.
    pipeline.clear();
    pipeline.setReadOptions({ biometric: req.face !== false });
    if (qr) pipeline.provideQr(qr, 'typed');
    else if (key) pipeline.provideKey(key);
    this.onState(this.kiosk.state);
    return this.copy(job);
  }

  private photoAllowed(): boolean {
    return this.o.photoAllowed?.() ?? this.kiosk.currentSettings.sharePhoto === true;
  }

  read(client: string, id: string): ServiceRead {
    return this.copy(this.own(client, id));
  }

  async waitRead(client: string, id: string, ms: number): Promise<ServiceRead> {
    const job = this.own(client, id);
    if (!FINAL.has(job.view.status)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          job.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, ms);
        job.waiters.add(done);
      });
    }
    return this.copy(job);
  }

  cancelRead(client: string, id: string): ServiceRead {
    const job = this.own(client, id);
    if (!FINAL.has(job.view.status)) {
      this.finish(job, { status: 'cancelled' });
      this.kiosk.pipeline.clear();
      return this.copy(job);
    }
    // A finished read: the caller is done with it, so its personal data leaves memory now.
    const view = this.copy(job);
    this.drop(job);
    return view;
  }

  /** The finished read's report and verification, for the formats (FHIR, PDF). */
  finished(client: string, id: string): { read: ServiceRead; report: ReadReport; verification: VerificationView } {
    const job = this.own(client, id);
    if (job.view.status === 'failed' || job.view.status === 'cancelled') throw job.view.error ? errorFromData(job.view.error) : cancelled();
    if (job.view.status !== 'done' || !job.report || !job.verification) throw notFinished();
    return { read: this.copy(job), report: job.report, verification: job.verification };
  }

  async format(client: string, id: string, format: 'fhir' | 'pdf'): Promise<{ contentType: string; body: Uint8Array | string }> {
    const { read, report, verification } = this.finished(client, id);
    if (format === 'fhir') return { contentType: 'application/fhir+json; charset=utf-8', body: JSON.stringify(patientFromReport(report)) };
    const r = read.result!;
    const pdf = await pdfOf(this.kiosk, { v: verification, report, receipt: r.receipt, signer: this.signer, eventId: r.eventId, at: new Date(read.finishedAt ?? read.startedAt) });
    return { contentType: 'application/pdf', body: pdf };
  }

  subscribe(client: string, listener: (e: ServiceEvent) => void): () => void {
    this.listeners.set(listener, client);
    return () => this.listeners.delete(listener);
  }

  private own(client: string, id: string): Job {
    const job = this.jobs.get(id);
    if (!job || job.client !== client) throw readNotFound();
    return job;
  }

  private copy(job: Job): ServiceRead {
    return structuredClone(job.view);
  }

  private emitRead(job: Job): void {
    const data = this.copy(job);
    for (const [l, c] of this.listeners) if (c === job.client) l({ event: 'read', data });
  }

  private async statusChanged(): Promise<void> {
    if (this.listeners.size === 0) return;
    const status = await this.status();
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    for (const l of this.listeners.keys()) l({ event: 'status', data: status });
  }

  private update(job: Job, patch: Partial<ServiceRead>): void {
    const next = { ...job.view, ...patch };
    for (const k of Object.keys(next) as Array<keyof ServiceRead>) if (next[k] === undefined) delete next[k];
    if (JSON.stringify(next) === JSON.stringify(job.view)) return;
    const moved = next.status !== job.view.status;
    job.view = next;
    this.emitRead(job);
    // A long poll (GET ?wait) returns at each step the caller may act on (need-key, reading, done…), not at each progress tick.
    if (moved) for (const w of [...job.waiters]) w();
  }

  private finish(job: Job, patch: Partial<ServiceRead>): void {
    if (FINAL.has(job.view.status)) return;
    clearTimeout(job.timer);
    this.update(job, { ...patch, progress: undefined, keyError: undefined, finishedAt: new Date().toISOString() });
    if (this.active === job) {
      this.active = undefined;
      this.kiosk.pipeline.setReadOptions({});
    }
    for (const w of [...job.waiters]) w();
    job.forget = setTimeout(() => this.drop(job), this.keepMs);
    job.forget.unref();
  }

  private drop(job: Job): void {
    clearTimeout(job.forget);
    this.jobs.delete(job.id);
  }

  private timeOut(job: Job): void {
    if (job !== this.active || job.started) return;
    const noCard = this.kiosk.state.reader.status !== 'card';
    this.finish(job, { status: 'failed', error: errorData(noCard ? noCardInTime() : keyInTime()) });
    this.kiosk.pipeline.clear();
  }

  private onState(s: KioskState): void {
    const job = this.active;
    if (!job || FINAL.has(job.view.status)) return;
    switch (s.phase) {
      case 'idle':
      case 'need-key':
        if (s.keyError && job.keyGiven) return this.finish(job, { status: 'failed', error: s.keyError });
        // Cleared at the kiosk (new customer) after the chip was reached: this read is over.
        if (job.started && !s.keyError) return this.finish(job, { status: 'cancelled', error: errorData(cancelled()) });
        if (s.phase === 'need-key') return this.update(job, { status: 'need-key', keyError: s.keyError });
        return this.update(job, { status: 'waiting-card', keyError: undefined });
      case 'reading':
      case 'checking':
        job.started = true;
        return this.update(job, { status: 'reading', keyError: undefined, progress: s.progress ? { fraction: s.progress.fraction, ...(s.progress.lifted ? { lifted: true } : {}) } : undefined });
      case 'face':
        job.started = true;
        return this.update(job, { status: 'face', progress: undefined });
      case 'result':
        if (s.result && job.resultId === undefined) {
          job.resultId = s.result.id;
          void this.complete(job, s.result);
        }
        return;
      case 'error':
        return this.finish(job, { status: 'failed', error: s.error });
      case 'confirmed':
        return;
    }
  }

  /** The result on screen becomes this read's: recorded as decided (no staff checks claimed), then signed. */
  private async complete(job: Job, v: VerificationView): Promise<void> {
    const pipeline = this.kiosk.pipeline;
    try {
      const report = pipeline.reportOf(v.id);
      if (!report) throw cancelled();
      const record = await pipeline.recordAsDecided(v.id);
      const eventId = record.status === 'stored' ? record.eventId : null;
      const at = new Date();
      const receipt = await signReceipt(this.signer, receiptInput(job.id, v, report, eventId, at));
      const result: ServiceResult = {
        ...report,
        ...(v.qr ? { qr: v.qr } : {}),
        ...(v.boardingPass ? { boardingPass: v.boardingPass } : {}),
        decision: v.decision,
        level: v.authenticity.level,
        levelReason: v.authenticity.reason,
        faceCheck: v.biometric,
        eventId,
        ...(record.status === 'failed' ? { recordError: record.error } : {}),
        receipt,
        // Asked for, and still allowed now that the read is done (the operator may have changed it meanwhile).
        ...(job.photo && this.photoAllowed() && v.person.photo?.url ? { photo: v.person.photo.url } : {}),
      };
      job.report = report;
      job.verification = v;
      this.finish(job, { status: 'done', result });
    } catch (e) {
      this.finish(job, { status: 'failed', error: errorData(e) });
    }
  }
}
