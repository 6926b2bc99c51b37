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

export type Phase = 'idle' | 'need-key' | 'reading' | 'checking' | 'face' | 'result' | 'confirmed' | 'error';

export interface ProgressView {
  file: string;
  read: number;
  total: number;
  /** Index of the file being read and how many files the read holds. */
  done: number;
  of: number;
  /** 0..1 over the whole read, by files then bytes. */
  fraction: number;
  /** The card left the reader mid-read: the read waits for it to be placed back, then goes on. */
  lifted?: boolean;
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

/** What a face check leaves for the screen and the record: never an image or an embedding. */
export interface FaceCheckView {
  /** Which models decided, so a stored event stays interpretable after an upgrade. */
  matcher: string;
  decision: 'match' | 'no-match' | 'retry' | 'not-compared';
  /** Quality notes (live frame or chip portrait) with the prompt that was shown. */
  quality: Array<{ code: string; subject: 'live' | 'document'; blocking: boolean; messages: { vi: string; en: string } }>;
  /** Always false today: no presentation-attack detection runs; the message tells staff to watch the person. */
  liveness: { checked: false; messages: { vi: string; en: string } };
}

export type BiometricView =
  /** No matcher, or no camera: `reason` says why when a matcher exists but could not run. */
  | { status: 'not-available'; reason?: ApiError }
  /** The face step is running (phase `face`): the camera panel shows the prompts. */
  | { status: 'pending'; method: 'face' | 'fingerprint' }
  | { status: 'matched' | 'not-matched'; method: 'face' | 'fingerprint'; score: number; threshold: number; face?: FaceCheckView }
  /** No usable comparison (chip portrait without a usable face, no usable capture): staff compare by eye. */
  | { status: 'not-compared'; method: 'face' | 'fingerprint'; reason: ApiError; face?: FaceCheckView };

/** What a stored event says happened to the holder (policy.ts's stored outcome, or `accepted` after an override). */
export type StoredOutcome = 'accepted' | 'review' | 'rejected';

export type RecordView =
  | { status: 'not-available' }
  | { status: 'pending' }
  /** `override`: a clerk accepted against a reject, with the PIN and a typed reason. */
  | { status: 'stored'; eventId: string; outcome: StoredOutcome; override?: true }
  | { status: 'failed'; error: ApiError };

export type Decision = 'accept' | 'review' | 'reject';

/** What a clerk says they checked before confirming a `review` (stored as these codes in the event). */
export type ReviewCheck = 'FACE_BY_EYE' | 'CARD_BY_EYE' | 'OTHER_DOCUMENT';
export const REVIEW_CHECKS: readonly ReviewCheck[] = ['FACE_BY_EYE', 'CARD_BY_EYE', 'OTHER_DOCUMENT'];

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
  /** The chip was opened with a key from a scanned QR: which one, and where the QR disagrees with the chip. */
  qr?: QrCheckView;
  /** Airport profile: the boarding pass scanned for this person, whether its name is the chip's and its flight today's. */
  boardingPass?: BoardingPassView;
}

/** A scanned IATA boarding pass checked against the chip (docs/integration.md). It changes no decision: the agent sees it. */
export interface BoardingPassView {
  passengerName: string;
  pnr: string;
  from: string;
  to: string;
  carrier: string;
  flight: string;
  /** ISO date of the flight. */
  date: string;
  seat: string;
  /** The pass's SURNAME/GIVEN names the chip's holder (diacritics folded). */
  nameMatch: boolean;
  /** The flight is today (the kiosk's local date). */
  flightToday: boolean;
}

export type QrSource = 'camera' | 'wedge' | 'serial' | 'typed';
/** QR sources main knows of (the camera while a key is needed, a `--qr-serial` scanner); a wedge scanner only the page can find out about. */
export type QrScannerSource = Extract<QrSource, 'camera' | 'serial'>;
export type QrField = 'idNumber' | 'oldIdNumber' | 'fullName' | 'dateOfBirth' | 'sex' | 'placeOfResidence' | 'dateOfIssue' | 'documentNumber';

/** A QR never proves anything: it opened the chip, the chip's data decides; a mismatch makes the decision `review`. */
export interface QrCheckView {
  source: QrSource;
  /** The key from the QR that opened the chip: the CAN, or the n-th MRZ candidate and the rule that made it. */
  opened: { kind: 'can' } | { kind: 'mrz'; rule: string; inferred: boolean; attempt: number };
  /** Fields where the QR says something else than the chip (names only: the chip's values are on screen). */
  mismatches: Array<{ field: QrField; source: 'DG1' | 'DG13' }>;
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
  /** Main wants camera frames and why (face check, QR scan); absent = camera idle. `prompt` is for the person in front of it. */
  camera?: CameraWant;
  /** A scanned QR's keys wait for the card (scanned before it was placed). */
  qrWaiting?: QrSource;
  /**
   * The store cannot take records now (disk read-only, unplugged, full): the screen is out of
   * service until it clears, by itself. A reader that is not there shows in `reader`.
   */
  storeProblem?: ApiError;
}

export type CameraPurpose = 'qr' | 'face' | 'mrz';
export interface CameraWant {
  purpose: CameraPurpose;
  prompt?: { code: string; messages: { vi: string; en: string } };
}

export interface SettingsView {
  lang: Lang;
  profile: Profile;
  /** Seconds of inactivity after which the self-service screen is wiped. */
  idleSeconds: number;
  /** Name shown on the status screen for this kiosk. */
  station: string;
  /** Short tones for accept, review and reject (generated in the page). */
  sound: boolean;
  /** The local identity service's port (docs/integration.md); null or absent: off. Set behind the PIN. */
  apiPort?: number | null;
  /** May the chip's portrait leave the kiosk (to a calling program, on the printed record)? Default no. */
  sharePhoto?: boolean;
}

export interface StatusView {
  /** `off`: wanted but could not start (the face matcher's worker or models), with the reason. */
  devices: Array<{ kind: 'reader' | 'camera' | 'fingerprint' | 'qr' | 'face'; name: string; state: 'ok' | 'absent' | 'not-available' | 'off'; reason?: ApiError }>;
  store:
    | { available: false }
    | { available: true; queueDepth: number; lastSync: string | null; link: 'good' | 'weak' | 'down'; perHour: Array<{ hour: string; count: number }>; /** The ingest server this kiosk forwards to; null = none configured. */ server?: string | null; /** Events set aside (could not be sealed or sent), by reason code: `idkiosk queue retry` / `queue export --quarantined`. */ quarantined?: { count: number; codes: string[] } };
  uptimeSeconds: number;
  version: string;
}

/** What the trust store holds, for people (main/verify/trust-summary.ts); dates ISO 8601. */
export interface TrustSummaryView {
  countries: string[];
  anchors: Array<{ country: string | null; subject: string; notAfter: string; source: string; expired: boolean; expiresInDays: number }>;
  crls: Array<{ issuer: string; country: string | null; thisUpdate: string; nextUpdate: string | null; ageDays: number; stale: boolean; revoked: number; source: string }>;
  problems: Array<{ file: string; code: string; messages: { vi: string; en: string } }>;
  /** For doctor and the screen: codes with the subject they are about (a country, a CSCA). */
  warnings: Array<{ code: 'NO_ANCHORS' | 'ANCHOR_EXPIRED' | 'ANCHOR_EXPIRING' | 'NO_CRL' | 'CRL_STALE'; about?: string }>;
}

/** Today's verifications as staff see them: masked, newest first, only what the store still keeps. */
export interface HistoryView {
  rows: Array<{ id: string; at: string; outcome: StoredOutcome; override: boolean; /** Initials only. */ name: string; /** Last four characters only. */ number: string; reader: string }>;
  /** The earliest instant listed: today's midnight, or later when the retention period is shorter. */
  since: string;
  retentionDays: number;
}

export interface MediaFileView {
  path: string;
  name: string;
  size: number;
}

// ---------------------------------------------------------------- requests

export type AccessKeyInput = { kind: 'can'; can: string } | { kind: 'mrz'; documentNumber: string; dateOfBirth: string; dateOfExpiry: string };

/** Each request: its params and its result. */
interface Requests {
  /** First call of a page: everything needed to draw. */
  hello: { params: Record<string, never>; result: { state: KioskState; settings: SettingsView; version: string; qrSources: QrScannerSource[] } };
  accessKey: { params: AccessKeyInput; result: { accepted: true } };
  /**
   * Records the result as decided: accept = confirmed; review = confirmed after the checks
   * named in `checked` (at least one, else REVIEW_CHECK_REQUIRED); reject = the refusal recorded.
   */
  confirm: { params: { id: string; checked?: ReviewCheck[] }; result: { record: RecordView } };
  /** Desk only, on a reject: accept anyway, with the operator PIN and a typed one-line reason; both go into the event. */
  override: { params: { id: string; pin: string; reason: string }; result: { record: RecordView } };
  /** Desk only, during phase `face`: the clerk stops the camera and compares by eye (`not-compared`, FACE_SKIPPED; never accept). */
  skipFace: { params: { id: string }; result: { state: KioskState } };
  /** Forget the current person (new customer, self-service time-out). */
  clear: { params: Record<string, never>; result: { state: KioskState } };
  status: { params: Record<string, never>; result: StatusView };
  setLang: { params: { lang: Lang }; result: { settings: SettingsView } };
  unlockSettings: { params: { pin: string }; result: { session: string } };
  updateSettings: { params: { session: string; profile?: Profile; idleSeconds?: number; station?: string; sound?: boolean; newPin?: string; apiPort?: number | null; sharePhoto?: boolean }; result: { settings: SettingsView } };
  lockSettings: { params: { session: string }; result: { locked: true } };
  /** Behind the PIN: forward to this ingest server (enrolling with the token when not yet enrolled there). */
  setSyncServer: { params: { session: string; url: string; token?: string }; result: { server: string } };
  /** Behind the PIN: the trust anchors loaded (countries, CSCAs and expiry, CRLs and age, unusable files). */
  trustSummary: { params: { session: string }; result: TrustSummaryView };
  /**
   * Behind the PIN: a CSCA certificate, master list or CRL from a file the page read, in base64
   * pieces (the first without `append`); the last (`done`) is judged and kept, or refused with TRUST_FILE_REJECTED.
   */
  importTrust: { params: { session: string; name: string; data: string; append?: boolean; done: boolean }; result: { received: number; summary?: TrustSummaryView } };
  /** Behind the PIN: trust files found on removable media (USB sticks). */
  trustMedia: { params: { session: string }; result: { files: MediaFileView[] } };
  /** Behind the PIN: import one file trustMedia listed. */
  importTrustMedia: { params: { session: string; path: string }; result: { summary: TrustSummaryView } };
  /** Behind the PIN: today's verifications, masked; `last` keeps those whose ID number ends with these digits. */
  history: { params: { session: string; last?: string }; result: HistoryView };
  /** The one-page PDF record of the result on screen (the desk's Print button), base64; the portrait only when `sharePhoto` allows. */
  recordPdf: { params: { id: string }; result: { pdf: string } };
  /** Demo mode only: the software chip enters or leaves the reader's field. */
  demoCard: { params: { present: boolean }; result: { state: KioskState } };
  /** The text of a scanned QR code (keyboard-wedge scanner seen by the page, camera, typed); bad text is a QR_* error. */
  qrText: { params: { text: string; source: QrSource }; result: { accepted: true } };
  /** While a key is needed: read the MRZ (passport page, CCCD back) from the camera (`on`), or stop. A valid MRZ opens the chip. */
  scanMrz: { params: { on: boolean }; result: { accepted: true } };
  /** One camera frame while `state.camera` is set; the next only after the reply (back-pressure), at most ~10 a second. */
  cameraFrame: { params: { purpose: CameraPurpose; jpeg: string /* base64, no data: prefix */; device?: string /* label, for the status screen */ }; result: { more: boolean } };
  /** The renderer could not open the camera (none, permission denied, busy): main stops waiting for frames. */
  cameraError: { params: { purpose: CameraPurpose; code: CameraErrorCode; device?: string }; result: { accepted: true } };
}

export type CameraErrorCode = 'CAMERA_NONE' | 'CAMERA_DENIED' | 'CAMERA_FAILED';

export type Method = keyof Requests;
export type Params<M extends Method> = Requests[M]['params'];
export type Result<M extends Method> = Requests[M]['result'];

// ---------------------------------------------------------------- events

export interface Events {
  state: KioskState;
  settings: SettingsView;
}
type EventName = keyof Events;
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
