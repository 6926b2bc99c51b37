// The composition root: one reader, the verification pipeline, the operator settings and
// the status of the parts around them, exposed as the API handlers both transports
// serve. What is not plugged in (store, camera, fingerprint, QR) shows as not available.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import type { LatencyModel } from '../../drivers/emulator/card-image.js';
import type { ApiEvent, KioskState, Profile, SettingsView, StatusView } from '../api/contract.js';
import type { ApiHost, Handlers } from '../api/dispatch.js';
import { defaultDataDir, packageRoot } from '../paths.js';
import { EmulatedReader, demoCanSource } from '../verify/emulated-reader.js';
import { type BiometricStep, type Recorder, VerificationPipeline, keyFromInput } from '../verify/pipeline.js';
import type { CardReader, KeySource } from '../verify/card-reader.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';
import { MAX_FILE_BYTES } from '../verify/trust-folder.js';
import type { KeyOptions } from '../../offline-cache/device-keys.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { storeRecorder } from './store.js';
import { PcscCardReader, type PcscCardReaderOptions } from '../verify/pcsc-reader.js';
import { type KioskSync, type KioskSyncOptions, startKioskSync, syncUrlFor } from './sync.js';
import { type SettingsStore, settingsFile } from './settings.js';
import { CameraFeed } from '../verify/camera-feed.js';
import { DEFAULT_FIRST_FRAME_MS, FaceHealth, type KioskFaceOptions, cameraDevice, cameraFaceStep, faceDevice, openFaceWorker, scanQrFromCamera } from './camera.js';
import type { CameraPurpose } from '../api/contract.js';
import type { QrScannerSource, QrSource } from '../api/contract.js';
import { accessFromQr } from '../verify/qr-access.js';
import { serialQrScanner } from './qr-serial.js';
import type { QrDevice, QrSink, StoreProbe, StoreStatus } from './parts.js';
import { type JpegQrDecoder, openQrDecoder } from './qr-scan.js';
import type { KioskLaunchOptions } from './options.js';
import { storeProbe } from './store-probe.js';
import { type MrzOcr, openMrzOcr, scanMrzFromCamera } from './mrz-ocr.js';
import { parseMrzKey } from '../../drivers/emrtd/bac.js';
import { TrustAnchors, stationTrustDir } from './trust-anchors.js';
import type { DeviceKeys } from '../../offline-cache/device-keys.js';
import { type AuditInput, recordAudit } from '../../offline-cache/audit.js';
import { printResult } from './print.js';
import { type BoardingPass, isBcbp, parseBcbp } from '../../drivers/qr/bcbp.js';


export interface KioskOptions {
  reader: CardReader;
  mode: 'demo' | 'live';
  keySources?: KeySource[];
  biometric?: BiometricStep;
  recorder?: Recorder;
  store?: StoreStatus;
  trust?: TrustStore;
  settings?: Partial<SettingsView>;
  /** Operator PIN for the settings screen; digits, 4 to 12. The initial one, when `settingsStore` holds none. */
  pin?: string;
  /** Where settings and the PIN hash survive a restart; without it they live in memory only. */
  settingsStore?: SettingsStore;
  /** Operational warnings (never personal data); default stderr. */
  log?: (line: string) => void;
  /** Face 1:1 against the renderer's camera after each read (phase `face`); off when absent. */
  face?: KioskFaceOptions;
  /** While a key is needed, look for the card's QR code in the renderer's camera frames. */
  qrCamera?: boolean;
  /** How long a card lifted mid-read may stay away and the read still continue, ms (default 20 s). */
  resumeWithinMs?: number;
  /** Minimum ms between two progress states (tests: 0). */
  progressEveryMs?: number;
  /** The station's trust anchors, imported on the Settings screen; the pipeline uses their store. */
  trustAnchors?: TrustAnchors;
  /** Whether the store can take records; polled, and the screen goes out of service while it fails. */
  storeProbe?: StoreProbe;
  /** How often storeProbe is asked, ms (default 5 s). */
  healthEveryMs?: number;
}

const DEFAULT_PIN = '123456';
const SESSION_MS = 5 * 60_000;

function hashPin(pin: string, salt: Buffer): Buffer {
  return scryptSync(pin, salt, 32);
}

function wrongPin(): IdkError {
  return new IdkError('WRONG_PIN', { vi: 'Mã PIN quản trị không đúng.', en: 'Wrong operator PIN.' });
}

function lockedOut(seconds: number): IdkError {
  return new IdkError('PIN_LOCKED', {
    vi: `Nhập sai PIN quá nhiều lần: hãy chờ ${seconds} giây.`,
    en: `Too many wrong PINs: wait ${seconds} seconds.`,
  });
}

function notSaved(): IdkError {
  return new IdkError('SETTINGS_NOT_SAVED', {
    vi: 'Không lưu được cài đặt vào đĩa (đĩa đầy hoặc không có quyền ghi): cài đặt cũ vẫn giữ nguyên; báo bộ phận kỹ thuật.',
    en: 'The settings could not be saved to disk (disk full or not writable): the old settings stay; tell technical support.',
  });
}

function sessionExpired(): IdkError {
  return new IdkError('SETTINGS_LOCKED', {
    vi: 'Phiên cài đặt đã hết hạn: hãy nhập lại PIN.',
    en: 'The settings session has expired: enter the PIN again.',
  });
}

export class Kiosk implements ApiHost, QrSink {
  readonly pipeline: VerificationPipeline;
  readonly handlers: Handlers;
  private settings: SettingsView;
  private pin: { salt: Buffer; hash: Buffer };
  private readonly sessions = new Map<string, number>();
  private failures = 0;
  private lockedUntil = 0;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly started = Date.now();
  private version = '0.0.0';
  private readonly log: (line: string) => void;

  constructor(private readonly opts: KioskOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`idkiosk: ${l}\n`));
    // Saved settings over the defaults; what the command line says for this run over both.
    const saved = opts.settingsStore?.load() ?? { settings: {} };
    this.settings = { lang: 'vi', profile: 'airport', idleSeconds: 60, station: 'idkiosk', sound: true, ...saved.settings, ...opts.settings };
    const salt = randomBytes(16);
    this.pin = saved.pin ?? { salt, hash: hashPin(opts.pin ?? DEFAULT_PIN, salt) };
    this.camera = new CameraFeed({ firstFrameMs: opts.face?.firstFrameMs ?? DEFAULT_FIRST_FRAME_MS });
    const biometric = opts.biometric ?? (opts.face ? cameraFaceStep(this.camera, opts.face) : undefined);
    this.pipeline = new VerificationPipeline({ ...opts, biometric });
    this.pipeline.onState((data) => this.wantCamera(data.camera?.purpose));
    // The kiosk owns the face worker it was given: it stops with the kiosk.
    const faceWorker = opts.face?.worker;
    if (faceWorker) this.onClose(() => faceWorker.close());
    this.pipeline.onState((data) => this.emit({ event: 'state', data }));
    this.watchHealth();
    this.handlers = this.makeHandlers();
    void readFile(join(packageRoot(), 'package.json'), 'utf8').then(
      (t) => (this.version = (JSON.parse(t) as { version: string }).version),
      () => undefined,
    );
  }

  /**
   * Out of service and back by itself: the store's health is polled; the reader's comes with
   * its own events. The screen gets the clerk's words; the technical line (which command, which
   * path) goes to the log once per change, never personal data.
   */
  private watchHealth(): void {
    let lastReader = '';
    const onReader = (s: KioskState): void => {
      const p = s.reader.status === 'no-reader' || s.reader.status === 'no-driver' ? (s.reader.problem?.code ?? 'NO_READER') : '';
      if (p === lastReader) return;
      if (p) this.log(`reader: out of service (${p}): ${s.reader.problem?.messages.en ?? 'no PC/SC reader found'}`);
      else if (lastReader) this.log('reader: back in service');
      lastReader = p;
    };
    this.pipeline.onState(onReader);
    onReader(this.pipeline.current);
    const health = this.opts.storeProbe;
    if (!health) return;
    let last: string | undefined;
    const tick = (): void => {
      const r = health.check();
      if (r?.why !== last) this.log(r ? `store: out of service: ${r.why}` : 'store: back in service');
      last = r?.why;
      this.pipeline.setStoreProblem(r?.problem);
    };
    tick();
    const timer = setInterval(tick, this.opts.healthEveryMs ?? 5000);
    timer.unref();
    this.onClose(() => clearInterval(timer));
  }

  /** Frames from the renderer's camera, wanted while `state.camera` says so. */
  readonly camera: CameraFeed;
  private cameraWant: { purpose: CameraPurpose; release: () => void } | undefined;

  private wantCamera(purpose: CameraPurpose | undefined): void {
    if (this.cameraWant?.purpose === purpose) return;
    this.cameraWant?.release();
    this.cameraWant = undefined;
    if (!purpose) return;
    const release = this.camera.want(purpose);
    if (purpose === 'mrz') {
      const stop = new AbortController();
      this.cameraWant = { purpose, release: () => (stop.abort(), release()) };
      this.mrzOcr ??= this.openMrzOcr();
      void scanMrzFromCamera(this.camera, stop.signal, this.mrzOcr, {
        key: (k) => {
          this.log(`mrz: read from the camera (${k.format}); opening the chip with it`);
          this.pipeline.provideKey({ kind: 'mrz', key: parseMrzKey(`${k.documentNumber}:${k.dateOfBirth}:${k.dateOfExpiry}`) });
        },
        failed: (e) => this.pipeline.rejectQr(e),
      });
      return;
    }
    if (purpose !== 'qr') {
      this.cameraWant = { purpose, release };
      return;
    }
    // The QR scan runs here, in main, on the frames the page sends; it stops with the need for a key.
    const stop = new AbortController();
    this.cameraWant = { purpose, release: () => (stop.abort(), release()) };
    this.qrDecoder ??= this.openQrDecoder();
    void scanQrFromCamera(this.camera, stop.signal, {
      text: (text) => {
        try {
          this.handleQrText(text, 'camera');
        } catch {
          // Not a CCCD QR: handleQrText already put the reason where keys are asked for.
        }
      },
      hint: (prompt) => this.pipeline.cameraPrompt('qr', prompt),
    }, this.qrDecoder);
  }

  /** MRZ OCR (tesseract.js, its own thread), started with the first MRZ scan and stopped with the kiosk. */
  private mrzOcr: MrzOcr | undefined;

  private openMrzOcr(): MrzOcr {
    const o = openMrzOcr();
    this.onClose(() => o.close());
    return o;
  }

  /** Camera QR decoding, on its own thread, started with the first scan and stopped with the kiosk. */
  private qrDecoder: JpegQrDecoder | undefined;

  private openQrDecoder(): JpegQrDecoder {
    const d = openQrDecoder(this.log);
    this.onClose(() => d.close());
    return d;
  }

  get state(): KioskState {
    return this.pipeline.current;
  }

  /**
   * What the local identity service (service.ts) needs from the composition root: the device
   * key that signs receipts, the store that keeps its audit lines, and the data folder where
   * paired clients are listed. Set by kioskFor; absent, the service cannot start.
   */
  servicePlug: { keys: DeviceKeys; audit: (line: AuditInput) => void; dataDir: string } | undefined;

  /** A hardware QR scanner feeding handleQrText (the serial one of `--qr-serial`), for the status screen. */
  qrScanner: QrDevice | undefined;

  /** Opens the serial QR scanner of `--qr-serial`; a missing port is retried, not fatal. It closes with the kiosk. */
  useSerialQr(path: string, baudRate?: number, log?: (line: string) => void): void {
    const s = serialQrScanner(this, { path, baudRate, log: log ?? this.log });
    this.qrScanner = s;
    this.onClose(() => s.close());
  }

  /**
   * A scanned QR from any source (keyboard wedge via the page, serial scanner, camera, typed):
   * its keys go to the pipeline, CAN first. Text that is not a usable CCCD QR throws its
   * QR_* error and shows it to the clerk. The text itself is personal data: never logged.
   */
  handleQrText(text: string, source: QrSource): void {
    // At an airport counter the same scanners read boarding passes: checked against the chip, never a key.
    if (this.settings.profile === 'airport' && isBcbp(text)) {
      let pass: BoardingPass;
      try {
        pass = parseBcbp(text);
      } catch (e) {
        this.pipeline.rejectQr(e);
        throw e;
      }
      this.pipeline.provideBoardingPass(pass);
      return;
    }
    let keys: ReturnType<typeof accessFromQr>;
    try {
      keys = accessFromQr(text);
    } catch (e) {
      this.pipeline.rejectQr(e);
      throw e;
    }
    this.pipeline.provideQr(keys, source);
  }

  rejectQr(error: unknown): void {
    this.pipeline.rejectQr(error);
  }

  /** The QR sources this kiosk listens to, so the self-service screen can offer the QR code. */
  private qrSources(): QrScannerSource[] {
    return [...(this.opts.qrCamera ? (['camera'] as const) : []), ...(this.qrScanner ? (['serial'] as const) : [])];
  }

  get currentSettings(): SettingsView {
    return this.settings;
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes everything at once; the promise settles when asynchronous parts (the sync client) have stopped too. */
  close(): Promise<void> {
    this.wantCamera(undefined);
    this.pipeline.close();
    this.listeners.clear();
    let done = Promise.resolve();
    // In order: the sync client must stop before the store under it closes.
    for (const f of this.closers.splice(0)) done = done.then(f).catch((e: unknown) => this.log(`close: ${(e as Error).message}`));
    return done;
  }

  private readonly closers: Array<() => void | Promise<void>> = [];

  /** Resources the composition root opened for this kiosk (the store, the sync client) close with it, in order. */
  onClose(f: () => void | Promise<void>, first = false): void {
    // `first`: a part that uses the others (the local service writes audit lines to the store) stops before them.
    if (first) this.closers.unshift(f);
    else this.closers.push(f);
  }

  /** Writes settings and PIN hash; false (and a warning) when the disk refuses. */
  private persist(settings: SettingsView, pin: { salt: Buffer; hash: Buffer }): boolean {
    if (!this.opts.settingsStore) return true;
    try {
      this.opts.settingsStore.save({ settings, pin });
      return true;
    } catch (e) {
      this.log(`settings not saved: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return false;
    }
  }

  private emit(e: ApiEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Trust files being uploaded in pieces, per settings session. */
  private readonly uploads = new Map<string, { name: string; parts: Buffer[] }>();

  private anchors(): TrustAnchors {
    const a = this.opts.trustAnchors;
    if (!a) {
      throw new IdkError('TRUST_NOT_AVAILABLE', {
        vi: 'Ki-ốt này không có thư mục chứng thư nên không nhập được chứng thư.',
        en: 'This kiosk keeps no trust folder, so anchors cannot be imported here.',
      });
    }
    return a;
  }

  /** The operator PIN, with the same slow-down for every use (settings, overrides): five tries, then a pause that doubles. */
  private checkPin(pin: string): void {
    const now = Date.now();
    if (now < this.lockedUntil) throw lockedOut(Math.ceil((this.lockedUntil - now) / 1000));
    if (!timingSafeEqual(hashPin(pin, this.pin.salt), this.pin.hash)) {
      if (++this.failures >= 5) this.lockedUntil = now + 30_000 * 2 ** (this.failures - 5);
      throw wrongPin();
    }
    this.failures = 0;
  }

  private checkSession(session: string): void {
    const until = this.sessions.get(session);
    if (until === undefined || until < Date.now()) {
      this.sessions.delete(session);
      throw sessionExpired();
    }
    this.sessions.set(session, Date.now() + SESSION_MS);
  }

  private async status(): Promise<StatusView> {
    const r = this.opts.reader;
    return {
      devices: [
        { kind: 'reader', name: r.name, state: r.status() === 'no-reader' ? 'absent' : 'ok' },
        cameraDevice(this.camera, this.opts.face !== undefined || Boolean(this.opts.qrCamera)),
        faceDevice(this.opts.face),
        { kind: 'fingerprint', name: 'fingerprint', state: this.opts.biometric?.method === 'fingerprint' ? 'ok' : 'not-available' },
        { kind: 'qr', name: this.qrScanner?.name ?? 'QR', state: this.qrScanner?.state() ?? 'not-available' },
      ],
      store: this.opts.store ? await this.opts.store.status() : { available: false },
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      version: this.version,
    };
  }

  private makeHandlers(): Handlers {
    return {
      hello: async () => ({ state: this.state, settings: this.settings, version: this.version, qrSources: this.qrSources() }),
      accessKey: async (p) => {
        this.pipeline.provideKey(keyFromInput(p));
        return { accepted: true };
      },
      confirm: async ({ id, checked }) => ({ record: await this.pipeline.confirm(id, checked) }),
      override: async ({ id, pin, reason }) => {
        this.checkPin(pin);
        return { record: await this.pipeline.override(id, reason) };
      },
      skipFace: async ({ id }) => ({ state: await this.pipeline.skipFace(id) }),
      clear: async () => {
        this.pipeline.clear();
        return { state: this.state };
      },
      status: () => this.status(),
      setLang: async ({ lang }) => {
        this.settings = { ...this.settings, lang };
        // The clerk's language switch works even on a full disk; it is only not remembered.
        this.persist(this.settings, this.pin);
        this.emit({ event: 'settings', data: this.settings });
        return { settings: this.settings };
      },
      unlockSettings: async ({ pin }) => {
        const now = Date.now();
        this.checkPin(pin);
        const session = randomBytes(18).toString('base64url');
        this.sessions.set(session, now + SESSION_MS);
        return { session };
      },
      updateSettings: async ({ session, newPin, ...rest }) => {
        this.checkSession(session);
        let pin = this.pin;
        if (newPin) {
          const salt = randomBytes(16);
          pin = { salt, hash: hashPin(newPin, salt) };
        }
        const changes = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<SettingsView>;
        const settings = { ...this.settings, ...changes };
        // A PIN the operator believes changed must not come back as the old one after a restart: all or nothing.
        if (!this.persist(settings, pin)) throw notSaved();
        this.pin = pin;
        this.settings = settings;
        this.emit({ event: 'settings', data: this.settings });
        return { settings: this.settings };
      },
      setSyncServer: async ({ session, url, token }) => {
        this.checkSession(session);
        const set = this.opts.store?.setSyncServer;
        if (!set) {
          throw new IdkError('SYNC_NOT_AVAILABLE', {
            vi: 'Ki-ốt này không có kho lưu trữ cục bộ nên không đồng bộ được.',
            en: 'This kiosk has no local store, so there is nothing to forward.',
          });
        }
        return { server: await set.call(this.opts.store, url, token) };
      },
      lockSettings: async ({ session }) => {
        this.sessions.delete(session);
        return { locked: true };
      },
      history: async ({ session, last }) => {
        this.checkSession(session);
        const h = this.opts.store?.history;
        if (!h) {
          throw new IdkError('HISTORY_NOT_AVAILABLE', {
            vi: 'Ki-ốt này không có kho lưu trữ cục bộ nên không có lịch sử.',
            en: 'This kiosk has no local store, so there is no history.',
          });
        }
        return h.call(this.opts.store, last ? { last } : {});
      },
      trustSummary: async ({ session }) => {
        this.checkSession(session);
        return this.anchors().summary();
      },
      importTrust: async ({ session, name, data, append, done }) => {
        this.checkSession(session);
        const anchors = this.anchors();
        // Pieces of one file per settings session; a new first piece starts over.
        const prev = append ? this.uploads.get(session) : undefined;
        const parts = [...(prev?.parts ?? []), Buffer.from(data, 'base64')];
        const received = parts.reduce((n, p) => n + p.length, 0);
        if (received > MAX_FILE_BYTES) {
          this.uploads.delete(session);
          throw new IdkError('TRUST_FILE_REJECTED', { vi: `Tệp lớn hơn ${MAX_FILE_BYTES >> 20} MB: không phải chứng thư.`, en: `The file is larger than ${MAX_FILE_BYTES >> 20} MB: not trust material.` });
        }
        if (!done) {
          this.uploads.set(session, { name, parts });
          return { received };
        }
        this.uploads.delete(session);
        const summary = anchors.import(name, new Uint8Array(Buffer.concat(parts)));
        this.pipeline.setTrust(anchors.current);
        this.log(`trust: imported ${name} (${summary.anchors.length} CSCA, ${summary.crls.length} CRL loaded)`);
        return { received, summary };
      },
      trustMedia: async ({ session }) => {
        this.checkSession(session);
        return { files: this.anchors().mediaFiles() };
      },
      importTrustMedia: async ({ session, path }) => {
        this.checkSession(session);
        const anchors = this.anchors();
        const f = anchors.mediaFile(path);
        const summary = anchors.import(f.name, new Uint8Array(await readFile(f.path)));
        this.pipeline.setTrust(anchors.current);
        this.log(`trust: imported ${f.name} from removable media (${summary.anchors.length} CSCA, ${summary.crls.length} CRL loaded)`);
        return { summary };
      },
      scanMrz: async ({ on }) => {
        this.pipeline.wantMrz(on);
        return { accepted: true };
      },
      recordPdf: async ({ id }) => ({ pdf: (await printResult(this, id)).toString('base64') }),
      demoCard: async ({ present }) => {
        const r = this.opts.reader;
        if (!(r instanceof EmulatedReader)) {
          throw new IdkError('NOT_DEMO', {
            vi: 'Chỉ có ở chế độ trình diễn (thẻ mô phỏng).',
            en: 'Only in demo mode (software chip).',
          });
        }
        r.setPresent(present);
        return { state: this.state };
      },
      qrText: async ({ text, source }) => {
        this.handleQrText(text, source);
        return { accepted: true };
      },
      cameraFrame: async ({ purpose, jpeg, device }) => ({ more: this.camera.push(purpose, Buffer.from(jpeg, 'base64'), device) }),
      cameraError: async ({ purpose, code, device }) => {
        this.camera.fail(purpose, code, device);
        return { accepted: true };
      },
    };
  }
}

/** A reader that is not there yet: PC/SC lands in drivers/pcsc; until then the screen says so. */

interface DemoKioskOptions {
  card: string;
  /** Open the chip with the CAN of the card folder, as if the clerk had typed it (demo only). */
  autoKey?: boolean;
  latency?: LatencyModel | null;
  profile?: Profile;
  pin?: string;
  trust?: TrustStore;
  recorder?: Recorder & StoreStatus;
  settingsStore?: SettingsStore;
  /** Face 1:1 against the renderer's camera: a worker is started (models warm up in the background) and closed with the kiosk. */
  face?: boolean | Omit<KioskFaceOptions, 'worker' | 'health'>;
  log?: (line: string) => void;
  storeProbe?: StoreProbe;
  trustAnchors?: TrustAnchors;
}

/** The face options for a kiosk being built, with its worker started; undefined when face is off or cannot run. */
function withFaceWorker(face: DemoKioskOptions['face'], log: (line: string) => void): KioskFaceOptions | undefined {
  if (!face) return undefined;
  // A worker that cannot start leaves face matching off with its reason, on the status screen and in each result.
  const health = new FaceHealth();
  const worker = openFaceWorker(log, health);
  return { ...(face === true ? {} : face), worker, health };
}

export async function demoKiosk(o: DemoKioskOptions): Promise<{ kiosk: Kiosk; reader: EmulatedReader }> {
  const card = await loadCardFolder(o.card);
  const reader = new EmulatedReader(card, { latency: o.latency });
  const kiosk = new Kiosk({
    reader,
    mode: 'demo',
    keySources: o.autoKey ? [demoCanSource(card)] : [],
    settings: o.profile ? { profile: o.profile } : {},
    pin: o.pin,
    trust: o.trust,
    recorder: o.recorder,
    store: o.recorder,
    settingsStore: o.settingsStore,
    face: withFaceWorker(o.face, o.log ?? ((l: string) => process.stderr.write(`idkiosk: ${l}\n`))),
    // The camera that checks faces also reads the card's QR code while a key is needed.
    qrCamera: Boolean(o.face),
    storeProbe: o.storeProbe,
    trustAnchors: o.trustAnchors,
  });
  return { kiosk, reader };
}

/**
 * The command line's options (main/kiosk/options.ts, the same on every entry), all optional
 * here so tests can name only what they need, plus what only code passes.
 */
interface KioskForOptions extends Partial<Omit<KioskLaunchOptions, 'face'>> {
  pin?: string;
  /** How the device key is protected (Electron: safeStorage); default a 0600 key file. */
  keys?: KeyOptions;
  /** Tuning of the background sync (tests shorten it). */
  syncTiming?: Pick<KioskSyncOptions, 'pollMs' | 'backoff'>;
  /** Live mode: how often pcscd is polled for readers and cards. */
  watch?: PcscCardReaderOptions['watch'];
  log?: (line: string) => void;
  /** Face 1:1 against the renderer's camera after each read (start/demo: on unless --no-face). */
  face?: DemoKioskOptions['face'];
  /** How often the store's disk is checked for the out-of-service screen, ms (tests shorten it). */
  healthEveryMs?: number;
  /** Where USB sticks appear, for importing trust anchors (default /media, /run/media, /mnt). */
  mediaRoots?: string[];
}

/** The kiosk `start`/`demo` and the Electron shell build: a card folder means demo mode. */
export async function kioskFor(o: KioskForOptions): Promise<Kiosk> {
  const pin = o.pin ?? process.env.IDKIOSK_PIN;
  const log = o.log ?? ((l: string) => process.stderr.write(`idkiosk: ${l}\n`));
  const base = defaultDataDir(o.dataDir);
  const dir = o.card ? join(base, 'demo') : base;
  // The anchors imported in Settings (trust/ in the data folder) and the --trust folder, as one store.
  const trustAnchors = new TrustAnchors(stationTrustDir(dir), { extra: o.trust, mediaRoots: o.mediaRoots });
  const trust = await trustAnchors.load();
  const store = openLocalStore({ ...o.keys, dataDir: dir });
  let sync: KioskSync | undefined;
  try {
    sync = startKioskSync({
      store,
      url: o.sync ?? (process.env.IDKIOSK_SYNC_URL || undefined),
      token: o.syncToken ?? process.env.IDKIOSK_SYNC_TOKEN,
      site: process.env.IDKIOSK_SITE,
      log,
      ...o.syncTiming,
    });
  } catch (e) {
    store.close();
    throw e;
  }
  const stored = storeRecorder(store);
  // Each confirmed verification is committed locally first, then the sender is woken for it.
  const recorder: Recorder & StoreStatus = {
    status: async () => ({ ...(await stored.status()), server: sync?.url ?? null }),
    history: (q) => stored.history!(q),
    async record(v) {
      const r = await stored.record(v);
      sync?.notify();
      return r;
    },
    async setSyncServer(url, token) {
      // Checked before the running client stops: a typo leaves forwarding as it was.
      syncUrlFor(store, url);
      await sync?.stop();
      sync = startKioskSync({ store, url, token, site: process.env.IDKIOSK_SITE, log, ...o.syncTiming });
      log(`sync: forwarding to ${url} (set on the settings screen)`);
      return url;
    },
  };
  const settingsStore = settingsFile(dir, log);
  const closeStore = async (): Promise<void> => {
    await sync?.stop();
    store.close();
  };
  // Paired clients live in the base folder: one list for the machine, demo or live.
  const servicePlug = { keys: store.keys, audit: (line: AuditInput) => void recordAudit(store, line), dataDir: base };
  if (o.card) {
    const { kiosk } = await demoKiosk({ card: o.card, autoKey: o.autoKey, profile: o.profile, pin, trust, recorder, settingsStore, face: o.face, log, storeProbe: storeProbe(dir), trustAnchors });
    kiosk.servicePlug = servicePlug;
    kiosk.onClose(closeStore);
    if (o.qrSerial) kiosk.useSerialQr(o.qrSerial, o.qrBaud, log);
    return kiosk;
  }
  const reader = new PcscCardReader({ name: o.reader, watch: o.watch });
  const kiosk = new Kiosk({
    reader,
    mode: 'live',
    settings: o.profile ? { profile: o.profile } : {},
    pin,
    trust,
    recorder,
    store: recorder,
    settingsStore,
    log,
    face: withFaceWorker(o.face, log),
    qrCamera: Boolean(o.face),
    storeProbe: storeProbe(dir),
    healthEveryMs: o.healthEveryMs,
    trustAnchors,
  });
  kiosk.servicePlug = servicePlug;
  kiosk.onClose(async () => {
    await reader.close();
    await closeStore();
  });
  if (o.qrSerial) kiosk.useSerialQr(o.qrSerial, o.qrBaud, log);
  return kiosk;
}
