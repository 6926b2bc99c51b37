// The composition root: one reader, the verification pipeline, the operator settings and
// the status of the parts around them, exposed as the API handlers both transports
// serve. What is not plugged in (store, camera, fingerprint, QR) shows as not available.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdkError } from '../drivers/apdu/errors.js';
import { loadCardFolder } from '../drivers/emulator/card-folder.js';
import type { LatencyModel } from '../drivers/emulator/card-image.js';
import type { ApiEvent, KioskState, Profile, SettingsView, StatusView } from './api/contract.js';
import type { ApiHost, Handlers } from './api/dispatch.js';
import { packageRoot } from './paths.js';
import { EmulatedReader, demoCanSource } from './verify/emulated-reader.js';
import { type Authenticator, type BiometricStep, type CardReader, type KeySource, type Recorder, VerificationPipeline, keyFromInput } from './verify/pipeline.js';
import type { TrustStore } from '../drivers/emrtd/trust-store.js';
import { loadTrustFolder } from './verify/trust-folder.js';
import type { KeyOptions } from '../offline-cache/device-keys.js';
import { openLocalStore } from '../offline-cache/store.js';
import { storeRecorder } from './kiosk-store.js';
import { defaultDataDir } from './record.js';
import { pcscCardReader } from './verify/pcsc-reader.js';

/** Queue depth, last sync and link quality, from the store (offline-cache) once it is plugged in. */
export interface StoreStatus {
  status(): Promise<Extract<StatusView['store'], { available: true }>>;
}

export interface KioskOptions {
  reader: CardReader;
  mode: 'demo' | 'live';
  keySources?: KeySource[];
  authenticator?: Authenticator;
  biometric?: BiometricStep;
  recorder?: Recorder;
  store?: StoreStatus;
  trust?: TrustStore;
  settings?: Partial<SettingsView>;
  /** Operator PIN for the settings screen; digits, 4 to 12. */
  pin?: string;
}

export const DEFAULT_PIN = '123456';
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

function sessionExpired(): IdkError {
  return new IdkError('SETTINGS_LOCKED', {
    vi: 'Phiên cài đặt đã hết hạn: hãy nhập lại PIN.',
    en: 'The settings session has expired: enter the PIN again.',
  });
}

export class Kiosk implements ApiHost {
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

  constructor(private readonly opts: KioskOptions) {
    this.settings = { lang: 'vi', profile: 'airport', idleSeconds: 60, station: 'idkiosk', ...opts.settings };
    const salt = randomBytes(16);
    this.pin = { salt, hash: hashPin(opts.pin ?? DEFAULT_PIN, salt) };
    this.pipeline = new VerificationPipeline(opts);
    this.pipeline.onState((data) => this.emit({ event: 'state', data }));
    this.handlers = this.makeHandlers();
    void readFile(join(packageRoot(), 'package.json'), 'utf8').then(
      (t) => (this.version = (JSON.parse(t) as { version: string }).version),
      () => undefined,
    );
  }

  get state(): KioskState {
    return this.pipeline.current;
  }

  get currentSettings(): SettingsView {
    return this.settings;
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.pipeline.close();
    this.listeners.clear();
    for (const f of this.closers.splice(0)) f();
  }

  private readonly closers: Array<() => void> = [];

  /** Resources the composition root opened for this kiosk (the store) close with it. */
  onClose(f: () => void): void {
    this.closers.push(f);
  }

  private emit(e: ApiEvent): void {
    for (const l of this.listeners) l(e);
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
        { kind: 'camera', name: 'camera', state: 'not-available' },
        { kind: 'fingerprint', name: 'fingerprint', state: this.opts.biometric?.method === 'fingerprint' ? 'ok' : 'not-available' },
        { kind: 'qr', name: 'QR', state: 'not-available' },
      ],
      store: this.opts.store ? await this.opts.store.status() : { available: false },
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      version: this.version,
    };
  }

  private makeHandlers(): Handlers {
    return {
      hello: async () => ({ state: this.state, settings: this.settings, version: this.version }),
      accessKey: async (p) => {
        this.pipeline.provideKey(keyFromInput(p));
        return { accepted: true };
      },
      confirm: async ({ id }) => ({ record: await this.pipeline.confirm(id) }),
      clear: async () => {
        this.pipeline.clear();
        return { state: this.state };
      },
      status: () => this.status(),
      setLang: async ({ lang }) => {
        this.settings = { ...this.settings, lang };
        this.emit({ event: 'settings', data: this.settings });
        return { settings: this.settings };
      },
      unlockSettings: async ({ pin }) => {
        const now = Date.now();
        if (now < this.lockedUntil) throw lockedOut(Math.ceil((this.lockedUntil - now) / 1000));
        if (!timingSafeEqual(hashPin(pin, this.pin.salt), this.pin.hash)) {
          // Slow guessing down: five tries, then a pause that doubles.
          if (++this.failures >= 5) this.lockedUntil = now + 30_000 * 2 ** (this.failures - 5);
          throw wrongPin();
        }
        this.failures = 0;
        const session = randomBytes(18).toString('base64url');
        this.sessions.set(session, now + SESSION_MS);
        return { session };
      },
      updateSettings: async ({ session, newPin, ...rest }) => {
        this.checkSession(session);
        if (newPin) {
          const salt = randomBytes(16);
          this.pin = { salt, hash: hashPin(newPin, salt) };
        }
        const changes = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<SettingsView>;
        this.settings = { ...this.settings, ...changes };
        this.emit({ event: 'settings', data: this.settings });
        return { settings: this.settings };
      },
      lockSettings: async ({ session }) => {
        this.sessions.delete(session);
        return { locked: true };
      },
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
    };
  }
}

/** A reader that is not there yet: PC/SC lands in drivers/pcsc; until then the screen says so. */

export interface DemoKioskOptions {
  card: string;
  /** Open the chip with the CAN of the card folder, as if the clerk had typed it (demo only). */
  autoKey?: boolean;
  latency?: LatencyModel | null;
  profile?: Profile;
  pin?: string;
  trust?: TrustStore;
  recorder?: Recorder & StoreStatus;
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
  });
  return { kiosk, reader };
}

/** The kiosk `start`/`demo` and the Electron shell build: a card folder means demo mode. */
export async function kioskFor(o: {
  card?: string;
  autoKey?: boolean;
  profile?: Profile;
  pin?: string;
  trust?: string;
  /** Where confirmed verifications are stored; demo cards keep theirs apart, in `demo/` below it. */
  dataDir?: string;
  /** How the device key is protected (Electron: safeStorage); default a 0600 key file. */
  keys?: KeyOptions;
  /** Live mode: the PC/SC reader to use; default the first one pcscd lists. */
  reader?: string;
}): Promise<Kiosk> {
  const pin = o.pin ?? process.env.IDKIOSK_PIN;
  const trust = o.trust !== undefined ? await loadTrustFolder(o.trust) : undefined;
  const base = defaultDataDir(o.dataDir);
  const store = openLocalStore({ ...o.keys, dataDir: o.card ? join(base, 'demo') : base });
  const recorder = storeRecorder(store);
  if (o.card) {
    const { kiosk } = await demoKiosk({ card: o.card, autoKey: o.autoKey, profile: o.profile, pin, trust, recorder });
    kiosk.onClose(() => store.close());
    return kiosk;
  }
  const reader = pcscCardReader({ name: o.reader });
  const kiosk = new Kiosk({ reader, mode: 'live', settings: o.profile ? { profile: o.profile } : {}, pin, trust, recorder, store: recorder });
  kiosk.onClose(() => {
    void reader.close();
    store.close();
  });
  return kiosk;
}
