// Every error code a clerk, an operator or a calling program can meet, with what it means.
// `IdkError` takes only these (a typo is a compile error), and docs/errors.md is rendered
// from this table (test/unit/error-codes.test.ts keeps the two equal). Messages themselves
// live where the error is raised, in Vietnamese and English, with the details of the case.

export interface CodeInfo {
  area: Area;
  /** What happened, in one line, for the reference. */
  means: string;
}

export const AREAS = {
  chip: 'The chip and its access protocols',
  reader: 'Card readers (PC/SC)',
  qr: 'QR codes and scanners',
  face: 'Face check and camera',
  fingerprint: 'Fingerprint sensors',
  trust: 'Trust anchors (CSCA, master lists, CRLs)',
  store: 'The local store and the device key',
  sync: 'Forwarding to the ingest server',
  kiosk: 'The kiosk, its settings and its API',
  cli: 'The command line and its files',
} as const;
type Area = keyof typeof AREAS;

const c = (area: Area, means: string): CodeInfo => ({ area, means });

export const ERROR_CODES = {
  // ---- chip
  ACCESS_DENIED: c('chip', 'The chip refused the access key (wrong CAN or MRZ).'),
  ACCESS_BLOCKED: c('chip', 'The chip blocked this password after too many wrong tries.'),
  BAD_ACCESS_KEY: c('chip', 'The access key given is malformed (a CAN is six digits; an MRZ key has document number and two dates).'),
  PACE_REQUIRED: c('chip', 'A CAN was given for a chip without PACE: only the MRZ opens it.'),
  BAC_UNSUPPORTED: c('chip', 'The chip offers neither PACE for this key nor BAC.'),
  CARD_REMOVED: c('chip', 'The card left the reader during the read (and did not come back in time to resume).'),
  CARD_RESET: c('chip', 'The card was reset during the read.'),
  CARD_CHANGED: c('chip', 'A different card was placed while a read waited to resume.'),
  CARD_MUTE: c('chip', 'The card stopped answering or answered out of protocol.'),
  CARD_STATUS: c('chip', 'The card refused a command with an ISO 7816 status word.'),
  NOT_AN_EMRTD: c('chip', 'The card has no ICAO eMRTD application (not a chip ID card or e-passport).'),
  MALFORMED_DATA: c('chip', 'The chip returned bytes that do not parse (TLV, data group, SOD): damaged or forged.'),
  SM_MAC_INVALID: c('chip', 'A secure-messaging answer failed its MAC: the link is unsafe or the chip is forged.'),
  SM_MISSING: c('chip', 'The chip answered without secure messaging where it was required.'),
  SM_INCORRECT: c('chip', 'The chip rejected the secure-messaging objects of a command.'),
  FILE_NOT_FOUND: c('chip', 'The chip has no such elementary file.'),
  NO_DG1: c('chip', 'The chip gave no DG1 (the MRZ data), so nothing can be shown.'),
  NO_FACE: c('chip', 'The chip holds no portrait (DG2) to write out.'),
  BAD_APDU: c('chip', 'A command APDU could not be built (a programming error, or a hostile length).'),
  INVALID_INPUT: c('chip', 'A builder of chip data got values it cannot encode.'),
  UNSUPPORTED: c('chip', 'The chip or certificate uses an algorithm this software does not implement.'),
  // ---- readers
  PCSCD_NOT_RUNNING: c('reader', 'The PC/SC service (pcscd) is not running.'),
  PCSC_LIBRARY_MISSING: c('reader', 'The PC/SC library (libpcsclite) is missing on this machine.'),
  PCSC_BINDING_MISSING: c('reader', 'The PC/SC Node binding was not built (no PC/SC headers at install time): live readers need it rebuilt.'),
  PCSC_FAILURE: c('reader', 'PC/SC reported a failure not covered by a more precise code.'),
  NO_READER: c('reader', 'No card reader is plugged in, or the one named is not there.'),
  READER_UNPLUGGED: c('reader', 'The reader was unplugged during a read.'),
  READER_BUSY: c('reader', 'Another program (or a read already running) holds the reader.'),
  NO_CARD: c('reader', 'No card is on the reader.'),
  SEVERAL_CARDS: c('reader', 'Cards lie on several readers and none was named.'),
  UNSUPPORTED_CARD: c('reader', 'The card on the reader cannot be powered or is not an ISO 14443/7816 chip card.'),
  // ---- QR
  QR_FOREIGN: c('qr', 'The scanned code is not a CCCD QR code.'),
  QR_MALFORMED: c('qr', 'A CCCD-looking QR code with fields that do not parse.'),
  QR_TRUNCATED: c('qr', 'A CCCD QR code with fields missing at its end.'),
  QR_TOO_LONG: c('qr', 'The scanned text is longer than any CCCD QR code.'),
  QR_BAD_ENCODING: c('qr', 'The scanned bytes are not valid UTF-8 text.'),
  QR_KEY_NOT_FOUND: c('qr', 'No key derived from the QR code opened the card on the reader.'),
  BCBP_MALFORMED: c('qr', 'A boarding-pass code (IATA BCBP) whose mandatory fields do not parse.'),
  QR_BUSY: c('qr', 'A QR code was scanned while a card was being read.'),
  QR_WORKER_EXITED: c('qr', 'The camera QR decoder thread stopped.'),
  QR_FRAME_FAILED: c('qr', 'A camera frame could not be decoded for a QR code.'),
  NO_CODE_FOUND: c('qr', 'No QR code was found in the image.'),
  BAD_IMAGE: c('qr', 'An image file is not a decodable picture.'),
  FILE_NOT_READABLE: c('qr', 'An image file could not be read.'),
  SCANNER_UNAVAILABLE: c('qr', 'The serial QR scanner port cannot be opened.'),
  SCANNER_LOST: c('qr', 'The serial QR scanner was unplugged.'),
  SCAN_FRAMING: c('qr', 'The scanner sent data without its configured prefix or suffix.'),
  SCAN_INCOMPLETE: c('qr', 'The scanner sent an incomplete code.'),
  // ---- face and camera
  FACE_SKIPPED: c('face', 'Staff ended the face step and compared the person by eye.'),
  FACE_PENDING: c('face', 'A confirm came while the face step was still running.'),
  FACE_NO_PORTRAIT: c('face', 'The chip holds no portrait to compare with.'),
  FACE_CAPTURE_FAILED: c('face', 'No usable face was captured from the camera in time.'),
  FACE_ENGINE_FAILED: c('face', 'The face matcher failed on a frame.'),
  FACE_WORKER_EXITED: c('face', 'The face matcher thread stopped.'),
  FACE_WORKER_MISSING: c('face', 'The face matcher thread is not built or not installed.'),
  FACE_MODEL_MISSING: c('face', 'A face model file is missing from the installation.'),
  CAMERA_NONE: c('face', 'No camera is available to the screen.'),
  CAMERA_DENIED: c('face', 'The camera permission was refused.'),
  CAMERA_FAILED: c('face', 'The camera could not be started or stopped delivering frames.'),
  CAMERA_NO_FRAMES: c('face', 'No camera frame arrived in time (no screen open, or the camera is stuck).'),
  // ---- fingerprint
  FP_BAD_PACKET: c('fingerprint', 'The sensor sent a packet that does not decode (cable, baud rate).'),
  FP_UNKNOWN_CODE: c('fingerprint', 'The sensor answered with a confirmation code not in its manual.'),
  FP_TIMEOUT: c('fingerprint', 'The sensor did not answer in time.'),
  FP_UNAVAILABLE: c('fingerprint', 'The sensor port cannot be opened.'),
  FP_UNPLUGGED: c('fingerprint', 'The sensor was unplugged.'),
  FP_CAPTURE_TIMEOUT: c('fingerprint', 'No finger was placed in time.'),
  FP_LIFT_TIMEOUT: c('fingerprint', 'The finger was not lifted in time.'),
  FP_TEMPLATE_MALFORMED: c('fingerprint', 'A fingerprint template (ISO 19794-2, ANSI 378) does not parse.'),
  FP_RESULT_LEAK: c('fingerprint', 'A fingerprint result carried a field that must never leave the matcher.'),
  // ---- trust
  TRUST_FOLDER_UNREADABLE: c('trust', 'The trust folder (--trust) cannot be opened.'),
  TRUST_FILE_REJECTED: c('trust', 'A file offered in Settings adds no usable CSCA, master list or CRL (the message says why); nothing was written.'),
  TRUST_NOT_AVAILABLE: c('trust', 'This kiosk keeps no trust folder, so anchors cannot be imported here.'),
  PKI_FILE_INVALID: c('trust', 'A test PKI folder holds files that do not parse.'),
  // ---- store
  STORE_UNAVAILABLE: c('store', 'The local store cannot be opened or written (permissions, disk).'),
  STORE_BUSY: c('store', 'Another process holds the local store.'),
  STORE_CORRUPT: c('store', 'The local store is damaged; nothing more is written to it.'),
  STORE_FULL: c('store', 'The disk holding the store is nearly full: the result was not recorded.'),
  STORE_GAP: c('store', 'The store lacks a record the server expects next.'),
  QUEUE_FULL: c('store', 'The queue holds its limit of undelivered records: the result was not recorded.'),
  SCHEMA_TOO_NEW: c('store', 'The store was written by a newer version of this software.'),
  DECRYPT_FAILED: c('store', 'Sealed personal data does not open with this device key.'),
  KEY_FILE_INSECURE: c('store', 'A key file is readable by other users.'),
  KEY_FILE_CORRUPT: c('store', 'The device key file is damaged.'),
  KEY_MISSING: c('store', 'A store that holds records has lost its device key file: recording is refused, never a new identity.'),
  KEY_MISMATCH: c('store', "The device key file is not this store's (another device's identity): recording is refused."),
  KEY_SEALER_MISSING: c('store', 'The device key is sealed by the OS keychain, which is not available here.'),
  KEY_STORAGE_INSECURE: c('store', 'The OS keychain offers only plain-text storage.'),
  BAD_VERIFICATION_RECORD: c('store', 'A verification to record is missing required fields.'),
  // ---- sync
  NOT_ENROLLED: c('sync', 'The device is not enrolled with an ingest server.'),
  BAD_REPLY: c('sync', 'The server answered with something that is not its protocol (a proxy page, a truncated body).'),
  SERVER_DB_UNAVAILABLE: c('sync', "The ingest server cannot open its database (PostgreSQL down, wrong URL, a SQLite file it may not write)."),
  MASTER_KEY_MISSING: c('sync', "The ingest server's master key (IDKIOSK_MASTER_KEY or --master-key-file) is not given."),
  MASTER_KEY_INVALID: c('sync', 'The master key given is not 32 bytes of base64 or hex.'),
  MASTER_KEY_WRONG: c('sync', "The master key does not open the server's key sets in its database."),
  UNKNOWN_KEY_ID: c('sync', 'A stored record names a server key set the database does not hold.'),
  SYNC_UNREACHABLE: c('sync', 'The ingest server could not be reached (or the link dropped) during enrolment.'),
  BAD_SYNC_URL: c('sync', 'The ingest server address is not an http(s) URL.'),
  SYNC_NOT_AVAILABLE: c('sync', 'This kiosk has no local store to forward.'),
  SERVER_BEHIND: c('sync', 'The server acknowledges less than it acknowledged before: it lost data.'),
  SERVER_AHEAD: c('sync', 'The server acknowledges records this device never wrote (store replaced?).'),
  SERVER_REJECTED: c('sync', 'The server refused a request with a code this version does not know (the code is in the detail).'),
  CHAIN_DIVERGED: c('sync', "The server's copy of a record differs from this device's."),
  CHAIN_CONFLICT: c('sync', 'The server already holds a different record at this sequence number.'),
  DEVICE_KEY_CONFLICT: c('sync', 'The device id is enrolled at the server with another key.'),
  UNKNOWN_DEVICE: c('sync', 'The server does not know this device.'),
  BAD_TOKEN: c('sync', 'The enrolment or operator token is missing or wrong.'),
  BAD_REQUEST: c('sync', 'The request is malformed (or an API request failed validation).'),
  BAD_ENVELOPE: c('sync', 'A batch is not sealed to this server.'),
  BAD_COMPRESSION: c('sync', 'A batch does not decompress within its limit.'),
  BAD_BATCH: c('sync', 'A batch does not parse or breaks the protocol.'),
  FORGED: c('sync', "A batch's signatures or chain do not verify."),
  TOO_LARGE: c('sync', 'A request body is over its size limit.'),
  BAD_URL: c('sync', 'The request path does not parse.'),
  UNSUPPORTED_MEDIA_TYPE: c('sync', 'The request body has the wrong content type.'),
  BODY_TOO_SLOW: c('sync', 'The request body arrived slower than the server allows; the connection was dropped.'),
  TOO_MANY_UPLOADS: c('sync', 'This device or address already has its allowed number of uploads running.'),
  TOO_MANY_EVENTS: c('sync', 'A batch holds more events than the server accepts at once.'),
  AUTH_REQUIRED: c('sync', 'A device request came without its signature headers.'),
  BAD_SIGNATURE: c('sync', "A device request's signature does not verify with the enrolled key."),
  REQUEST_EXPIRED: c('sync', "A signed request's time is too far from the server's clock (or it was replayed)."),
  BODY_MISMATCH: c('sync', 'The body does not hash to what the signed headers say.'),
  NOT_YOUR_DEVICE: c('sync', 'A device asked about another device.'),
  DEVICE_REVOKED: c('sync', 'The operator revoked this device: its later batches are kept apart, never merged.'),
  NOT_FOUND: c('sync', 'No such endpoint.'),
  STORE_ERROR: c('sync', 'The server could not store a batch; the device retries.'),
  // ---- kiosk and API
  WRONG_PIN: c('kiosk', 'Wrong operator PIN.'),
  PIN_LOCKED: c('kiosk', 'Too many wrong PINs: the settings are locked for a while.'),
  SETTINGS_LOCKED: c('kiosk', 'The settings session expired.'),
  SETTINGS_NOT_SAVED: c('kiosk', 'Settings could not be written to disk; the old ones stay.'),
  STALE_RESULT: c('kiosk', 'An action names a result no longer on screen.'),
  HISTORY_NOT_AVAILABLE: c('kiosk', 'This kiosk has no local store, so there is no history to show.'),
  MRZ_OCR_FAILED: c('kiosk', 'The camera MRZ reader (tesseract.js) could not start; the MRZ can still be typed.'),
  REVIEW_CHECK_REQUIRED: c('kiosk', 'A result to review was confirmed without saying what the clerk checked.'),
  OVERRIDE_NOT_ALLOWED: c('kiosk', 'An override was asked for a result that is not a reject, or is already recorded.'),
  OVERRIDE_REASON_REQUIRED: c('kiosk', 'An override came without a usable one-line reason.'),
  SUPERSEDED: c('kiosk', 'A read was cancelled by a newer one.'),
  NOT_DEMO: c('kiosk', 'A demo-only action outside demo mode.'),
  FORBIDDEN: c('kiosk', 'A request from a page outside the app was blocked.'),
  PORT_IN_USE: c('kiosk', 'The port asked for is taken.'),
  DISCONNECTED: c('kiosk', 'The screen lost its link to the kiosk process.'),
  INTERNAL: c('kiosk', 'An unexpected software error (the log has the detail).'),
  // ---- the local identity service (main/api/service.ts, docs/integration.md)
  API_UNAUTHORIZED: c('kiosk', 'A call to the local service without a token, or with one that is unknown or revoked (HTTP 401).'),
  API_ORIGIN_REFUSED: c('kiosk', "A browser call to the local service from an origin the client was not paired with (HTTP 403)."),
  API_RATE_LIMITED: c('kiosk', 'A paired client called the local service faster than its limit allows (HTTP 429).'),
  API_NEEDS_TLS: c('kiosk', 'The local service was asked to listen beyond 127.0.0.1 without a TLS certificate and key.'),
  API_CLIENT_EXISTS: c('kiosk', 'A client of that name is already paired (revoke it first).'),
  API_CLIENT_UNKNOWN: c('kiosk', 'No paired client has that name.'),
  API_CLIENTS_FILE: c('kiosk', 'The paired-clients file cannot be read or written.'),
  READ_NOT_FOUND: c('kiosk', 'No read of that id belongs to this client (finished reads are forgotten after a while).'),
  READ_NOT_FINISHED: c('kiosk', 'A format (FHIR, PDF) was asked for a read that has not finished.'),
  READ_TIMED_OUT: c('kiosk', 'A read started by a program waited too long for the access key at the kiosk.'),
  PDF_FONT_MISSING: c('kiosk', 'No Vietnamese-capable font (Noto Sans, fonts-noto-core) to print the PDF record.'),
  PHOTO_NOT_ALLOWED: c('kiosk', "The kiosk's policy does not give the chip's portrait to calling programs."),
  FACE_NOT_REQUESTED: c('face', 'The caller asked for a read without the face check.'),
  // ---- command line
  BAD_ARGUMENTS: c('cli', 'The command line is wrong (unknown option, missing or conflicting values).'),
  BAD_CARD_FOLDER: c('cli', 'A card folder is missing files or holds bad ones.'),
  BAD_PERSON: c('cli', 'A person file for card build is invalid.'),
  BENCH_NEEDS_PCSCD: c('cli', 'A benchmark needs pcscd and vpcd, which are not installed.'),
  BENCH_NOT_INSTALLED: c('cli', 'The benchmarks are not part of the installed package; they run from a source checkout.'),
  NO_CHROMIUM: c('cli', 'Chromium is missing for a benchmark or the kiosk launcher.'),
} as const satisfies Record<string, CodeInfo>;

/**
 * Families whose members come from a table of their own: each is listed in docs/errors.md
 * with where its members are defined.
 */
export const ERROR_FAMILIES = {
  FP_: c('fingerprint', "The sensor's own confirmation codes (R30x family), named as in its manuals: drivers/fingerprint/r30x-protocol.ts."),
  FACE_: c('face', 'Why a face could not be compared (face quality codes such as FACE_NO_FACE, FACE_TOO_DARK): main/verify/face-result.ts.'),
  TRUST_: c('trust', 'Why a trust-folder file was not used (TRUST_NOT_PKI, TRUST_BAD_SIGNATURE…): drivers/emrtd/trust-store.ts.'),
  ENROL_: c('sync', "Enrolment refused by the server, with the server's code after the prefix."),
  HTTP_: c('sync', 'The server answered with this HTTP status and no code of ours.'),
} as const satisfies Record<string, CodeInfo>;

type Family = keyof typeof ERROR_FAMILIES;
export type ErrorCode = keyof typeof ERROR_CODES | `${Family}${string}`;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODES, s) || Object.keys(ERROR_FAMILIES).some((f) => s.startsWith(f) && s.length > f.length);
}
