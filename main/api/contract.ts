// The one contract between main and renderer: what the renderer may ask (requests), what
// main tells it unasked (events), and how failures travel (errors). Plain types only, so
// the renderer can `import type` it without pulling any Node code into the browser. Two
// transports carry it unchanged: a WebSocket for the headless host and Electron IPC.
// Types only (erased at build), so the renderer still loads nothing but its own files.
import type { Dg1 } from '../../drivers/emrtd/dg1.js';
import type { Dg13 } from '../../drivers/emrtd/dg13.js';

export type Lang = 'vi' | 'en';
export type Profile = 'airport' | 'residence' | 'hospital' | 'self-service';
export const PROFILES: readonly Profile[] = ['airport', 'residence', 'hospital', 'self-service'];

/** A failure as the renderer sees it: a stable code and text a clerk can act on. */
export interface ApiError {
  code: string;
  messages: { vi: string; en: string };
}

/** What is known about a part that lands later, so screens say so instead of inventing numbers. */
export type Availability = { available: false } | { available: true };

// ---------------------------------------------------------------- state

export type ReaderStatus = 'no-driver' | 'no-reader' | 'empty' | 'card';

export interface ReaderView {
  name: string;
  status: ReaderStatus;
  /** A software chip stands in for the card (demo mode): the UI offers place/remove. */
  emulated: boolean;
  /** With status no-reader: why, and what to do (e.g. PCSCD_NOT_RUNNING: start pcscd). */
  problem?: ApiError;
}

export type Phase = 'idle' | 'need-key' | 'reading' | 'checking' | 'result' | 'confirmed' | 'error';

export interface ProgressView {
  file: string;
  read: number;
  total: number;
  /** Index of the file being read and how many files the read holds. */
  done: number;
  of: number;
  /** 0..1 over the whole read, by files then bytes. */
  fraction: number;
}

/** green: the chip's data chains to a trusted issuer; amber: consistent but not fully proven; red: forged or altered. */
export type Level = 'green' | 'amber' | 'red';

export interface AuthenticityView {
  level: Level;
  passive: 'valid' | 'invalid' | 'no-trust-anchor' | 'not-checked';
  chip: 'valid' | 'invalid' | 'not-supported' | 'not-checked';
  active: 'valid' | 'invalid' | 'not-supported' | 'not-checked';
  /** Machine reason for the level, translated by the renderer; `detail` is the technical text. */
  reason: 'all-valid' | 'no-trust-anchor' | 'not-checked' | 'data-altered' | 'signature-invalid' | 'clone-suspected' | 'chip-auth-pending';
  detail?: string;
}

export type BiometricView =
  | { status: 'not-available' }
  | { status: 'matched' | 'not-matched'; method: 'face' | 'fingerprint'; score: number; threshold: number };

export type RecordView =
  | { status: 'not-available' }
  | { status: 'pending' }
  | { status: 'stored'; eventId: string }
  | { status: 'failed'; error: ApiError };

export type Decision = 'accept' | 'review' | 'reject';

export interface PersonView {
  /** DG1 (ICAO MRZ data); dates ISO 8601. */
  document: Pick<Dg1, 'documentType' | 'issuingState' | 'documentNumber' | 'surname' | 'givenNames' | 'nationality' | 'dateOfBirth' | 'sex' | 'dateOfExpiry'>;
  /** DG13 of a CCCD, text exactly as on the chip; null on passports. */
  vn: Dg13 | null;
  /** The DG2 portrait as a data: URL when the browser can show its format; else why not. */
  photo: { url: string; width: number; height: number } | { url: null; format: string } | null;
}

export interface VerificationView {
  id: string;
  person: PersonView;
  authenticity: AuthenticityView;
  biometric: BiometricView;
  decision: Decision;
  record: RecordView;
  access: string;
  /** Time the chip read took, and its wire statistics. */
  stats: { apdus: number; bytes: number; ms: number };
}

export interface KioskState {
  /** Increases with every change; the renderer drops stale events. */
  seq: number;
  mode: 'demo' | 'live';
  reader: ReaderView;
  phase: Phase;
  /** Why a key is needed again (wrong CAN…), when phase is need-key. */
  keyError?: ApiError;
  progress?: ProgressView;
  result?: VerificationView;
  error?: ApiError;
}

export interface SettingsView {
  lang: Lang;
  profile: Profile;
  /** Seconds of inactivity after which the self-service screen is wiped. */
  idleSeconds: number;
  /** Name shown on the status screen for this kiosk. */
  station: string;
}

export interface StatusView {
  devices: Array<{ kind: 'reader' | 'camera' | 'fingerprint' | 'qr'; name: string; state: 'ok' | 'absent' | 'not-available' }>;
  store:
    | { available: false }
    | { available: true; queueDepth: number; lastSync: string | null; link: 'good' | 'weak' | 'down'; perHour: Array<{ hour: string; count: number }> };
  uptimeSeconds: number;
  version: string;
}

// ---------------------------------------------------------------- requests

export type AccessKeyInput = { kind: 'can'; can: string } | { kind: 'mrz'; documentNumber: string; dateOfBirth: string; dateOfExpiry: string };

/** Each request: its params and its result. */
export interface Requests {
  /** First call of a page: everything needed to draw. */
  hello: { params: Record<string, never>; result: { state: KioskState; settings: SettingsView; version: string } };
  accessKey: { params: AccessKeyInput; result: { accepted: true } };
  confirm: { params: { id: string }; result: { record: RecordView } };
  /** Forget the current person (new customer, self-service time-out). */
  clear: { params: Record<string, never>; result: { state: KioskState } };
  status: { params: Record<string, never>; result: StatusView };
  setLang: { params: { lang: Lang }; result: { settings: SettingsView } };
  unlockSettings: { params: { pin: string }; result: { session: string } };
  updateSettings: { params: { session: string; profile?: Profile; idleSeconds?: number; station?: string; newPin?: string }; result: { settings: SettingsView } };
  lockSettings: { params: { session: string }; result: { locked: true } };
  /** Demo mode only: the software chip enters or leaves the reader's field. */
  demoCard: { params: { present: boolean }; result: { state: KioskState } };
}

export type Method = keyof Requests;
export type Params<M extends Method> = Requests[M]['params'];
export type Result<M extends Method> = Requests[M]['result'];

// ---------------------------------------------------------------- events

export interface Events {
  state: KioskState;
  settings: SettingsView;
}
export type EventName = keyof Events;
export type ApiEvent = { [E in EventName]: { event: E; data: Events[E] } }[EventName];

// ---------------------------------------------------------------- wire frames (WebSocket)

export type ClientFrame = { t: 'req'; id: number; method: Method; params: unknown };
/** The answer to one request; errors are values so they cross IPC and contextBridge intact. */
export type Reply = { ok: true; result: unknown } | { ok: false; error: ApiError };
export type ServerFrame = ({ t: 'res'; id: number } & Reply) | ({ t: 'evt' } & ApiEvent);

/**
 * What the renderer holds: one object, the same whichever transport carries it. The
 * Electron preload exposes exactly this as `window.idkiosk`; the WebSocket client
 * implements it too.
 */
export interface Bridge {
  request(method: Method, params: unknown): Promise<Reply>;
  /** Returns a function that unsubscribes. */
  onEvent(listener: (e: ApiEvent) => void): () => void;
}
