// The contract of the local identity service (docs/integration.md): what a paired program
// (a hospital's HIS page, residence-registration software, a departure-control screen)
// sends and gets back over HTTP. Plain types; the transport (service.ts) only moves them,
// the kiosk (main/kiosk/service.ts) gives them meaning.
import type { ApiError, BiometricView, BoardingPassView, Decision, Level, ProgressView, ReaderStatus } from './contract.js';

/** POST /v1/reads. No key: the kiosk asks the person on its own screen, as for any card. */
export interface ServiceReadRequest {
  /** The six-digit CAN printed on the card. */
  can?: string;
  /** MRZ key as `DOCUMENT:YYMMDD:YYMMDD` (document number, birth, expiry), as `read --mrz`. */
  mrz?: string;
  /** The text of the card's QR code (a CCCD QR gives the CAN). */
  qr?: string;
  /** Run the kiosk's face check after the chip (default true, when the kiosk has a camera). */
  face?: boolean;
  /** Include the chip's portrait as a data URL, when the kiosk's policy allows it (default false). */
  photo?: boolean;
}

type ServiceReadStatus = 'waiting-card' | 'need-key' | 'reading' | 'face' | 'done' | 'failed' | 'cancelled';

/**
 * The `read --json` object (document, vn, face, authenticity, access, stats, qr) plus what
 * the kiosk decided: typed loosely here because its exact shape lives in main/verify,
 * which this layer does not import; docs/integration.md lists every field.
 */
type ReadJson = Record<string, unknown>;

export interface ServiceResult extends ReadJson {
  /** The one decision rule's answer (main/verify/policy.ts). */
  decision: Decision;
  /** The authenticity colour and its reason code. */
  level: Level;
  levelReason: string;
  /** The face check as the kiosk ran it (or why it did not). */
  faceCheck: BiometricView;
  /** The stored event's id; null when the kiosk has no store or recording failed (then `recordError`). */
  eventId: string | null;
  recordError?: ApiError;
  /** Compact JWS (EdDSA) by the device key over the decision; see GET /v1/device. */
  receipt: string;
  /** The chip's portrait as a data: URL, only when asked for and allowed. */
  photo?: string;
  /** On the airport profile, when a boarding pass was scanned: its fields and whether its name is the chip's. */
  boardingPass?: BoardingPassView;
}

export interface ServiceRead {
  id: string;
  status: ServiceReadStatus;
  startedAt: string;
  finishedAt?: string;
  progress?: Pick<ProgressView, 'fraction' | 'lifted'>;
  /** While `need-key`: why the last key typed at the kiosk did not open the chip. */
  keyError?: ApiError;
  result?: ServiceResult;
  error?: ApiError;
}

export interface ServiceStatus {
  reader: { name: string; status: ReaderStatus; emulated: boolean };
  card: boolean;
  kiosk: { mode: 'demo' | 'live'; phase: string; busy: boolean; profile: string; station: string };
  version: string;
}

export interface ServiceDevice {
  deviceId: string;
  alg: 'EdDSA';
  /** The device's Ed25519 public key (RFC 8037 OKP JWK, with `kid` = its RFC 7638 thumbprint). */
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
}

export type ServiceEvent = { event: 'status'; data: ServiceStatus } | { event: 'read'; data: ServiceRead };

export type ServiceFormat = 'json' | 'fhir' | 'pdf';

/** What the kiosk gives the HTTP transport; every method throws an IdkError for the caller. */
export interface ServiceHost {
  status(): Promise<ServiceStatus>;
  device(): ServiceDevice;
  /** Starts a read on the kiosk's reader for `client`; READER_BUSY while one runs. */
  startRead(client: string, req: ServiceReadRequest): ServiceRead;
  /** This client's read; READ_NOT_FOUND for another client's or a forgotten one. */
  read(client: string, id: string): ServiceRead;
  /** The read once its status changes or it has finished, or as it stands after `ms` (a long poll). */
  waitRead(client: string, id: string, ms: number): Promise<ServiceRead>;
  cancelRead(client: string, id: string): ServiceRead;
  /** A finished read in another format (FHIR Patient, PDF record). */
  format(client: string, id: string, format: Exclude<ServiceFormat, 'json'>): Promise<{ contentType: string; body: Uint8Array | string }>;
  /** Status changes for everyone; a read's progress and result only for its own client. */
  subscribe(client: string, listener: (e: ServiceEvent) => void): () => void;
}

/** One line per call, kept in the store and synced like the events: who, when, what, outcome; never a body. */
export interface AuditLine {
  client: string | null;
  at: number;
  /** Method and route template, ids left out: e.g. `GET /v1/reads/:id`. */
  what: string;
  status: number;
  code?: string;
}
