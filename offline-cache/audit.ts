// Audit lines of the local identity service: one per call a paired program made (client
// name, time, route, HTTP status, error code), never a body, a key or a card's data. Each
// line is signed by the device key like an event (its own tag, so a line can never pass for
// an event) and kept until the ingest server has it (POST /v1/audit), then purged after the
// same retention as delivered events. Lines are independent (no chain): the server stores
// each id once, so resending after a lost answer is harmless.
import { type KeyObject, createPrivateKey, sign } from 'node:crypto';
import nacl from 'tweetnacl';
import { concat } from '../core/bytes.js';
import { type Json, b64, canonical, unb64 } from './canonical.js';
import { type LocalStore, stmt, storeError } from './store.js';
import { UUID_RE, uuidv7 } from './uuidv7.js';

const enc = new TextEncoder();
const AUDIT_TAG = enc.encode('idkiosk-audit-v1');
export interface AuditInput {
  client: string | null;
  at: number;
  what: string;
  status: number;
  code?: string;
}

interface AuditLineBody extends AuditInput {
  v: 1;
  id: string;
  device: string;
}

interface SignedAuditLine {
  /** Canonical JSON of an AuditLineBody. */
  line: string;
  /** base64 Ed25519 signature of "idkiosk-audit-v1" || line. */
  sig: string;
}

const signingKeys = new WeakMap<Uint8Array, KeyObject>();

/**
 * Ed25519 over "idkiosk-audit-v1" || line, by node:crypto: one line per call sits on the
 * caller's path, and pure-JS signing costs ~3 ms where OpenSSL takes a few µs. Ed25519 is
 * deterministic (RFC 8032), so the bytes are the ones tweetnacl would give.
 */
function signAuditLine(line: string, signSecretKey: Uint8Array): Uint8Array {
  let key = signingKeys.get(signSecretKey);
  if (!key) {
    const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
    // A tweetnacl secret key is seed (32) || public key (32).
    key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(signSecretKey.subarray(0, 32)), x: b64u(signSecretKey.subarray(32)) }, format: 'jwk' });
    signingKeys.set(signSecretKey, key);
  }
  return new Uint8Array(sign(null, concat(AUDIT_TAG, enc.encode(line)), key));
}

export function verifyAuditLine(l: SignedAuditLine, signPublicKey: Uint8Array): boolean {
  let sig: Uint8Array;
  try {
    sig = unb64(l.sig);
  } catch {
    return false;
  }
  return sig.length === 64 && nacl.sign.detached.verify(concat(AUDIT_TAG, enc.encode(l.line)), sig, signPublicKey);
}

/** The shape of a line that came from the wire; a reason, or null when it is well formed. */
export function auditLineProblem(line: unknown, device: string): string | null {
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return 'not an object';
  const o = line as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['v', 'id', 'device', 'client', 'at', 'what', 'status', 'code'].includes(k)) return `unknown field ${k}`;
  if (o.v !== 1 || typeof o.id !== 'string' || !UUID_RE.test(o.id)) return 'id';
  if (o.device !== device) return 'device';
  if (o.client !== null && (typeof o.client !== 'string' || o.client.length > 40)) return 'client';
  if (!Number.isSafeInteger(o.at) || typeof o.what !== 'string' || o.what.length > 80 || !Number.isInteger(o.status)) return 'at/what/status';
  if (o.code !== undefined && (typeof o.code !== 'string' || !/^[A-Z_0-9]{1,40}$/.test(o.code))) return 'code';
  return null;
}

/** Stores one audit line, signed; durable like an event (the store runs synchronous=FULL). */
export function recordAudit(store: LocalStore, a: AuditInput): string {
  try {
    const id = uuidv7(a.at);
    const body: AuditLineBody = { v: 1, id, device: store.keys.deviceId, client: a.client, at: Math.round(a.at), what: a.what, status: a.status, ...(a.code ? { code: a.code } : {}) };
    const line = canonical(body as unknown as Json);
    stmt(store, 'INSERT INTO audit(id, at, line, sig) VALUES (?, ?, ?, ?)').run(id, body.at, line, signAuditLine(line, store.keys.signSecretKey));
    return id;
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

export function pendingAudit(store: LocalStore, max: number): Array<SignedAuditLine & { id: string }> {
  const rows = stmt(store, 'SELECT id, line, sig FROM audit WHERE delivered_at IS NULL ORDER BY at, id LIMIT ?').all(Math.max(1, max)) as Array<{ id: string; line: string; sig: Uint8Array }>;
  return rows.map((r) => ({ id: r.id, line: r.line, sig: b64(r.sig) }));
}

/** The server holds these lines: mark them delivered and purge delivered lines past the retention period. */
export function auditDelivered(store: LocalStore, ids: string[]): void {
  try {
    const now = store.now();
    const mark = stmt(store, 'UPDATE audit SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL');
    store.db
      .transaction(() => {
        for (const id of ids) mark.run(now, id);
        stmt(store, 'DELETE FROM audit WHERE delivered_at IS NOT NULL AND delivered_at < ?').run(now - store.retentionMs);
      })
      .immediate();
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

export function auditCounts(store: LocalStore): { stored: number; pending: number } {
  const r = stmt(store, 'SELECT COUNT(*) AS stored, SUM(delivered_at IS NULL) AS pending FROM audit').get() as { stored: number; pending: number | null };
  return { stored: r.stored, pending: r.pending ?? 0 };
}
