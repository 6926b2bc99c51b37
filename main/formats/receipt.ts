// Signed receipts: a compact JWS (RFC 7515, EdDSA over Ed25519 per RFC 8037) made with the
// kiosk's device key, so the caller's back end can check later, offline, that this kiosk
// decided this about exactly this data. The payload holds no personal data in clear: the
// person is a SHA-256 of the canonical person data (the result's `document` and `vn`), which
// only someone who already has those data can recompute.
//
// Built with `jose`; the device key comes from offline-cache/device-keys.ts through its
// public shape (id, public key, secret key) and nothing else (`deviceSigningKey`).
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, jwtVerify } from 'jose';
import { type Json, canonical } from '../../offline-cache/canonical.js';
import type { DeviceKeys } from '../../offline-cache/device-keys.js';
import type { BiometricView, Decision, Level } from '../api/contract.js';
import type { ServiceDevice } from '../api/service-contract.js';
import type { ReadReport } from '../verify/report.js';

const RECEIPT_TYP = 'idkiosk-receipt+jwt';

/** What a receipt says. Registered claims: `iss` = `jti`'s kiosk, `iat`; the rest is ours. */
interface ReceiptPayload {
  v: 1;
  /** The device id (as enrolled with the sync server). */
  iss: string;
  device: string;
  /** The read this receipt is for (the service's read id). */
  jti: string;
  iat: number;
  /** ISO 8601, the moment the decision was made. */
  time: string;
  decision: Decision;
  authenticity: { level: Level; reason: string; passive: string; chip: string; active: string };
  face: { status: BiometricView['status']; method?: string; score?: number; threshold?: number; matcher?: string; reason?: string };
  /** base64url SHA-256 of canonical JSON of {document, vn} as the result gives them. */
  person: string;
  /** The stored event's id, or null when nothing was recorded. */
  event: string | null;
}

export interface DeviceSigner {
  deviceId: string;
  privateKey: KeyObject;
  publicJwk: ServiceDevice['jwk'];
}

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** The device key as node:crypto keys and a public JWK with its RFC 7638 thumbprint as `kid`. */
export async function deviceSigningKey(keys: Pick<DeviceKeys, 'deviceId' | 'signPublicKey' | 'signSecretKey'>): Promise<DeviceSigner> {
  // An Ed25519 secret key in the device-key API is seed (32) || public key (32), as RFC 8032 keeps it.
  const x = b64u(keys.signPublicKey);
  const d = b64u(keys.signSecretKey.subarray(0, 32));
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });
  return { deviceId: keys.deviceId, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } };
}

/** The canonical person data of a result: keys sorted, no whitespace, strings as the chip gave them (NFC). */
export function canonicalPerson(p: { document: ReadReport['document']; vn: ReadReport['vn'] }): string {
  return canonical({ document: p.document, vn: p.vn } as unknown as Json);
}

export function personDigest(p: { document: ReadReport['document']; vn: ReadReport['vn'] }): string {
  return createHash('sha256').update(canonicalPerson(p), 'utf8').digest('base64url');
}

/** Face facts only: numbers and codes, never an image or an embedding. */
function faceClaim(b: BiometricView): ReceiptPayload['face'] {
  if (b.status === 'not-available') return { status: b.status, ...(b.reason ? { reason: b.reason.code } : {}) };
  if (b.status === 'pending') return { status: b.status, method: b.method };
  if (b.status === 'not-compared') return { status: b.status, method: b.method, reason: b.reason.code, ...(b.face ? { matcher: b.face.matcher } : {}) };
  return { status: b.status, method: b.method, score: Math.round(b.score * 1e4) / 1e4, threshold: b.threshold, ...(b.face ? { matcher: b.face.matcher } : {}) };
}

interface ReceiptInput {
  readId: string;
  at: Date;
  decision: Decision;
  authenticity: ReceiptPayload['authenticity'];
  biometric: BiometricView;
  person: { document: ReadReport['document']; vn: ReadReport['vn'] };
  eventId: string | null;
}

function receiptPayload(signer: Pick<DeviceSigner, 'deviceId'>, r: ReceiptInput): ReceiptPayload {
  return {
    v: 1,
    iss: signer.deviceId,
    device: signer.deviceId,
    jti: r.readId,
    iat: Math.floor(r.at.getTime() / 1000),
    time: r.at.toISOString(),
    decision: r.decision,
    authenticity: { ...r.authenticity },
    face: faceClaim(r.biometric),
    person: personDigest(r.person),
    event: r.eventId,
  };
}

export async function signReceipt(signer: DeviceSigner, r: ReceiptInput): Promise<string> {
  const { iat, ...claims } = receiptPayload(signer, r);
  return new SignJWT(claims as unknown as Record<string, unknown>)
    .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: signer.publicJwk.kid })
    .setIssuedAt(iat)
    .sign(signer.privateKey);
}

/** Checks a receipt against a device's public JWK (from GET /v1/device or the sync server); throws when it does not verify. */
export async function verifyReceipt(jws: string, jwk: Pick<ServiceDevice['jwk'], 'kty' | 'crv' | 'x'>): Promise<ReceiptPayload> {
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  const { payload } = await jwtVerify(jws, key, { algorithms: ['EdDSA'], typ: RECEIPT_TYP });
  return payload as unknown as ReceiptPayload;
}
