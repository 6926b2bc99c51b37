// A verification's outcome as a signed, hash-chained event. Pure: no I/O.
//
// The signed body holds no personal data: who was verified is a salted SHA-256 commitment
// to a minimal `Subject` (document number, ID number, name, date of birth), which travels
// beside the body, encrypted at rest and sealed to the server in transit. Everything else
// on the chip (address, parents, religion, face) is deliberately not kept.
//
// Chain: hash_n = SHA-256(hash_{n-1} || canonical(body_n)), hash_0 = SHA-256("idkiosk-chain-v1"
// || device public key). Signature_n = Ed25519(device key, "idkiosk-event-v1" || hash_n) (node:crypto), so
// the signature of any event also vouches for every event before it on the device.
import { IdkError } from '../core/errors.js';
import { type Json, b64, canonical } from './canonical.js';
import { ed25519Sign, ed25519Verify, sha256 } from './platform-crypto.js';
import { UUID_RE } from './uuidv7.js';

const enc = new TextEncoder();
const CHAIN_TAG = enc.encode('idkiosk-chain-v1');
const SIG_TAG = enc.encode('idkiosk-event-v1');

type Outcome = 'accepted' | 'rejected' | 'review';
export type CheckOutcome = 'valid' | 'invalid' | 'no-trust-anchor' | 'not-checked' | 'not-supported';

/** What the verification pipeline hands over; the store turns it into an event. */
export interface VerificationInput {
  /** Device clock (ms since epoch) when the decision was made; defaults to now. */
  at?: number;
  site: string;
  operator: string;
  reader: string;
  document: { type: string; issuingState: string; number: string; dateOfExpiry?: string };
  holder: { idNumber?: string; fullName?: string; dateOfBirth?: string };
  result: Outcome;
  authenticity: { passive: CheckOutcome; chip: CheckOutcome; active: CheckOutcome };
  access: string;
  biometric: BiometricRecord;
  /** What staff did beyond the rule's decision (an override, what they checked on a review); absent for the rule alone. */
  staff?: StaffRecord;
}

/**
 * A person's part in the outcome, for the audit. `checked`: what the clerk confirmed they
 * checked before confirming a `review` (codes such as FACE_BY_EYE). `override`: the reason
 * the clerk typed when accepting against a `reject`, which needs the operator PIN; its
 * presence means the PIN was given. Free text typed by staff, never data read from the chip.
 */
interface StaffRecord {
  checked?: string[];
  override?: string;
}

/**
 * How the holder was compared, enough to audit it later: never an image, a template or an
 * embedding. The optional fields come from the face step (matcher, threshold, its decision,
 * the quality codes it raised, and `liveness: false` — no presentation-attack check ran).
 */
export interface BiometricRecord {
  method: 'face' | 'fingerprint' | 'none';
  score: number | null;
  matcher?: string;
  threshold?: number;
  decision?: 'match' | 'no-match' | 'retry' | 'not-compared' | 'not-available';
  quality?: string[];
  liveness?: boolean;
}

export interface Subject {
  documentNumber: string;
  idNumber?: string;
  fullName?: string;
  dateOfBirth?: string;
  /** 16 random bytes, base64: without it the commitment of a 12-digit ID number is guessable. */
  salt: string;
}

export interface EventBody {
  /** 1: the rule's outcome alone. 2: the same plus `staff` (added later; v1 bodies are unchanged, so old events verify as before). */
  v: 1 | 2;
  id: string;
  device: string;
  seq: number;
  /** Device clock, ms since epoch. */
  at: number;
  /** Server time minus device time as last measured by the sync client (ms), null if never. */
  clock: number | null;
  site: string;
  operator: string;
  reader: string;
  doc: { type: string; state: string; expired: boolean | null };
  result: Outcome;
  auth: { passive: CheckOutcome; chip: CheckOutcome; active: CheckOutcome };
  access: string;
  bio: BiometricRecord;
  /** base64 SHA-256 of canonical(Subject). */
  subject: string;
  /** Only in v2 bodies. */
  staff?: StaffRecord;
}

export function genesisHash(signPublicKey: Uint8Array): Uint8Array {
  return sha256(CHAIN_TAG, signPublicKey);
}

function bodyBytes(body: EventBody): Uint8Array {
  return enc.encode(canonical(body as unknown as Json));
}

export function chainHash(prev: Uint8Array, body: EventBody): Uint8Array {
  return chainHashOf(prev, bodyBytes(body));
}

/** The same, from the canonical bytes of a body already serialised. */
export function chainHashOf(prev: Uint8Array, canonicalBody: Uint8Array): Uint8Array {
  return sha256(prev, canonicalBody);
}

export function subjectDigest(s: Subject): string {
  return b64(sha256(enc.encode(canonical(s as unknown as Json))));
}

/** Ed25519 over "idkiosk-event-v1" || hash; `signSecretKey` is seed || public key (tweetnacl's layout). */
export function signHash(hash: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  return ed25519Sign(tagged(hash), signSecretKey);
}

export function verifyHashSignature(hash: Uint8Array, sig: Uint8Array, signPublicKey: Uint8Array): boolean {
  return ed25519Verify(tagged(hash), sig, signPublicKey);
}

function tagged(hash: Uint8Array): Uint8Array {
  const m = new Uint8Array(SIG_TAG.length + hash.length);
  m.set(SIG_TAG);
  m.set(hash, SIG_TAG.length);
  return m;
}

function bad(what: string): IdkError {
  return new IdkError('BAD_VERIFICATION_RECORD', {
    vi: `Không lưu được kết quả xác thực: ${what}.`,
    en: `Cannot record the verification: ${what}.`,
  });
}

function text(v: unknown, what: string, max = 200): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(`${what} missing or too long`);
  return v.normalize('NFC');
}

/** The subject: only what identifies the person, nothing else from the chip. */
export function subjectOf(input: VerificationInput, salt: Uint8Array): Subject {
  const s: Subject = { documentNumber: text(input.document.number, 'document number', 40), salt: b64(salt) };
  if (input.holder.idNumber) s.idNumber = text(input.holder.idNumber, 'ID number', 40);
  if (input.holder.fullName) s.fullName = text(input.holder.fullName, 'full name');
  if (input.holder.dateOfBirth) s.dateOfBirth = text(input.holder.dateOfBirth, 'date of birth', 20);
  return s;
}

export function bodyOf(
  input: VerificationInput,
  ctx: { id: string; device: string; seq: number; at: number; clock: number | null; subject: Subject },
): EventBody {
  const score = input.biometric.score;
  if (score !== null && (!Number.isFinite(score) || score < 0 || score > 1)) throw bad('biometric score must be between 0 and 1');
  const expiry = input.document.dateOfExpiry;
  const staff = input.staff && staffOf(input.staff);
  const body: EventBody = {
    v: staff ? 2 : 1,
    id: ctx.id,
    device: ctx.device,
    seq: ctx.seq,
    at: Math.round(ctx.at),
    clock: ctx.clock === null ? null : Math.round(ctx.clock),
    site: text(input.site, 'site'),
    operator: text(input.operator, 'operator'),
    reader: text(input.reader, 'reader'),
    doc: {
      type: text(input.document.type, 'document type', 8),
      state: text(input.document.issuingState, 'issuing state', 8),
      expired: expiry ? expiry < new Date(ctx.at).toISOString().slice(0, 10) : null,
    },
    result: input.result,
    auth: { ...input.authenticity },
    access: text(input.access, 'access method', 20),
    bio: bioOf(input.biometric),
    subject: subjectDigest(ctx.subject),
  };
  // Only a body that carries staff facts is v2: every other event stays byte for byte what v1 wrote.
  if (staff) body.staff = staff;
  return body;
}

const STAFF_CODE = /^[A-Z_]{1,32}$/;
/** One line of text: no control characters (no line breaks), at most 200 characters. */
const STAFF_TEXT = /^[^\p{Cc}\u2028\u2029]{1,200}$/u;

function staffOf(s: StaffRecord): StaffRecord | undefined {
  const out: StaffRecord = {};
  if (s.checked !== undefined && s.checked.length > 0) {
    if (s.checked.length > 8 || !s.checked.every((c) => STAFF_CODE.test(c))) throw bad('staff check codes');
    out.checked = [...new Set(s.checked)].sort();
  }
  if (s.override !== undefined) {
    const reason = s.override.normalize('NFC').trim();
    if (!STAFF_TEXT.test(reason)) throw bad('override reason missing, too long or not one line');
    out.override = reason;
  }
  return out.checked || out.override ? out : undefined;
}

function bioOf(b: BiometricRecord): BiometricRecord {
  const out: BiometricRecord = { method: b.method, score: b.score === null ? null : Math.round(b.score * 1e4) / 1e4 };
  if (b.matcher !== undefined) out.matcher = text(b.matcher, 'biometric matcher');
  if (b.threshold !== undefined) {
    if (!Number.isFinite(b.threshold) || b.threshold < 0 || b.threshold > 1) throw bad('biometric threshold must be between 0 and 1');
    out.threshold = Math.round(b.threshold * 1e4) / 1e4;
  }
  if (b.decision !== undefined) out.decision = b.decision;
  if (b.quality !== undefined) {
    if (b.quality.length > 16 || !b.quality.every((c) => /^[A-Z_]{1,32}$/.test(c))) throw bad('biometric quality codes');
    out.quality = [...b.quality];
  }
  if (b.liveness !== undefined) out.liveness = b.liveness;
  return out;
}

const BIO_DECISIONS = new Set(['match', 'no-match', 'retry', 'not-compared', 'not-available']);
const BIO_KEYS = new Set(['method', 'score', 'matcher', 'threshold', 'decision', 'quality', 'liveness']);

const OUTCOMES = new Set(['accepted', 'rejected', 'review']);
const CHECKS = new Set(['valid', 'invalid', 'no-trust-anchor', 'not-checked', 'not-supported']);
const BIO = new Set(['face', 'fingerprint', 'none']);

function isStr(v: unknown, max = 200): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** Checks the shape of a body that came from outside (the wire); returns a reason or null. */
export function bodyProblem(b: unknown): string | null {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'not an object';
  const o = b as Record<string, unknown>;
  if (o.v !== 1 && o.v !== 2) return 'version';
  // v2 adds `staff` and nothing else; a v1 body keeps exactly its old fields.
  const allowed = new Set(['v', 'id', 'device', 'seq', 'at', 'clock', 'site', 'operator', 'reader', 'doc', 'result', 'auth', 'access', 'bio', 'subject', ...(o.v === 2 ? ['staff'] : [])]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) return `unknown field ${k}`;
  if (o.v === 2 && staffProblem(o.staff)) return `staff: ${staffProblem(o.staff)}`;
  if (typeof o.id !== 'string' || !UUID_RE.test(o.id)) return 'id';
  if (!isStr(o.device, 64)) return 'device';
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return 'seq';
  if (!Number.isSafeInteger(o.at)) return 'at';
  if (o.clock !== null && !Number.isSafeInteger(o.clock)) return 'clock';
  if (!isStr(o.site) || !isStr(o.operator) || !isStr(o.reader) || !isStr(o.access, 20)) return 'site/operator/reader/access';
  const d = o.doc as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || !isStr(d.type, 8) || !isStr(d.state, 8) || (d.expired !== null && typeof d.expired !== 'boolean') || Object.keys(d).length !== 3) return 'doc';
  if (!OUTCOMES.has(o.result as string)) return 'result';
  const a = o.auth as Record<string, unknown> | null;
  if (typeof a !== 'object' || a === null || Object.keys(a).length !== 3 || ![a.passive, a.chip, a.active].every((x) => CHECKS.has(x as string))) return 'auth';
  const bio = o.bio as Record<string, unknown> | null;
  if (typeof bio !== 'object' || bio === null || Array.isArray(bio) || !('score' in bio) || !BIO.has(bio.method as string)) return 'bio';
  if (Object.keys(bio).some((k) => !BIO_KEYS.has(k))) return 'bio field';
  if (bio.score !== null && (typeof bio.score !== 'number' || !(bio.score >= 0 && bio.score <= 1))) return 'bio score';
  if (bio.matcher !== undefined && !isStr(bio.matcher)) return 'bio matcher';
  if (bio.threshold !== undefined && (typeof bio.threshold !== 'number' || !(bio.threshold >= 0 && bio.threshold <= 1))) return 'bio threshold';
  if (bio.decision !== undefined && !BIO_DECISIONS.has(bio.decision as string)) return 'bio decision';
  if (bio.quality !== undefined && (!Array.isArray(bio.quality) || bio.quality.length > 16 || !bio.quality.every((c) => typeof c === 'string' && /^[A-Z_]{1,32}$/.test(c)))) return 'bio quality';
  if (bio.liveness !== undefined && typeof bio.liveness !== 'boolean') return 'bio liveness';
  if (typeof o.subject !== 'string' || o.subject.length !== 44) return 'subject';
  return null;
}

function staffProblem(s: unknown): string | null {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'not an object';
  const o = s as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'checked' && k !== 'override')) return 'unknown field';
  if (o.checked === undefined && o.override === undefined) return 'empty';
  if (o.checked !== undefined && (!Array.isArray(o.checked) || o.checked.length === 0 || o.checked.length > 8 || !o.checked.every((c) => typeof c === 'string' && STAFF_CODE.test(c)))) return 'checked';
  if (o.override !== undefined && (typeof o.override !== 'string' || !STAFF_TEXT.test(o.override))) return 'override';
  return null;
}

export function subjectProblem(s: unknown): string | null {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'not an object';
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['documentNumber', 'idNumber', 'fullName', 'dateOfBirth', 'salt'].includes(k)) return `unknown field ${k}`;
  if (!isStr(o.documentNumber, 40) || !isStr(o.salt, 44)) return 'documentNumber/salt';
  for (const k of ['idNumber', 'fullName', 'dateOfBirth']) if (o[k] !== undefined && !isStr(o[k])) return k;
  return null;
}

/** Recomputes a run of the chain from `prev`; returns each event's hash. */
export function chainHashes(prev: Uint8Array, bodies: EventBody[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let h = prev;
  for (const b of bodies) {
    h = chainHash(h, b);
    out.push(h);
  }
  return out;
}

