// Receipts made by the kiosk's device key (jose, EdDSA) checked by implementations that
// share no code with it: Node's own crypto from the published JWK, @noble/curves' Ed25519,
// and the openssl command line. Any one changed byte makes every one of them refuse.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadOrCreateDeviceKeys } from '../../offline-cache/device-keys.js';
import { canonicalPerson, deviceSigningKey, personDigest, signReceipt, verifyReceipt } from '../../main/formats/receipt.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, ingest } from '../helpers/ingest.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { enrolDevice } from '../../offline-cache/sync/client.js';

const person = {
  document: { documentType: 'ID', issuingState: 'VNM', documentNumber: '190012345', surname: 'LE', givenNames: 'THI MAU', nationality: 'VNM', dateOfBirth: '1990-05-17', sex: 'F', dateOfExpiry: '2030-05-17', optionalData: '000190012345' },
  vn: { idNumber: '000190012345', fullName: 'Lê Thị Mẫu', placeOfResidence: 'Số 1 Đường Thử Nghiệm' },
} as never;

async function made(): Promise<{ jws: string; jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string }; dir: string; deviceId: string }> {
  const dir = tempDir('idk-rcpt-');
  const keys = loadOrCreateDeviceKeys(dir);
  const signer = await deviceSigningKey(keys);
  const jws = await signReceipt(signer, {
    readId: 'r-1',
    at: new Date('2026-03-01T08:00:00Z'),
    decision: 'accept',
    authenticity: { level: 'green', reason: 'all-valid', passive: 'valid', chip: 'valid', active: 'not-supported' },
    biometric: { status: 'matched', method: 'face', score: 0.71234, threshold: 0.5 },
    person,
    eventId: '01900000-0000-7000-8000-000000000000',
  });
  return { jws, jwk: signer.publicJwk, dir, deviceId: keys.deviceId };
}

/** Node's crypto alone: the JWK imported, the signature over "header.payload" checked. */
function nodeVerifies(jws: string, jwk: { x: string }): boolean {
  const [h, p, s] = jws.split('.');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  return verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s!, 'base64url'));
}

function nobleVerifies(jws: string, jwk: { x: string }): boolean {
  const [h, p, s] = jws.split('.');
  try {
    return ed25519.verify(Buffer.from(s!, 'base64url'), Buffer.from(`${h}.${p}`), Buffer.from(jwk.x, 'base64url'));
  } catch {
    return false;
  }
}

/** openssl 3 (Debian's), from a PEM made of the JWK: a third implementation, in another process. */
function opensslVerifies(jws: string, jwk: { x: string }, dir: string): boolean {
  const [h, p, s] = jws.split('.');
  const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  writeFileSync(join(dir, 'pub.pem'), pem);
  writeFileSync(join(dir, 'msg'), `${h}.${p}`);
  writeFileSync(join(dir, 'sig'), Buffer.from(s!, 'base64url'));
  try {
    execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig')], { stdio: 'pipe' });
    return true;
  } catch (e) {
    const out = String((e as { stdout?: Buffer }).stdout ?? '');
    if (!/Signature Verification Failure/.test(out)) throw e;
    return false;
  }
}

/** The JWS with one byte changed at `i` (a base64url character swapped for another one). */
function flip(jws: string, i: number): string {
  const c = jws[i]!;
  return jws.slice(0, i) + (c === 'A' ? 'B' : 'A') + jws.slice(i + 1);
}

describe('signed receipts', () => {
  it('verify with jose, Node crypto, @noble/curves and openssl; the payload holds no personal data', async () => {
    const { jws, jwk, dir, deviceId } = await made();
    expect(jws.split('.')).toHaveLength(3);
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'idkiosk-receipt+jwt', kid: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }) });
    const claims = await verifyReceipt(jws, jwk);
    expect(claims).toMatchObject({ v: 1, iss: deviceId, device: deviceId, jti: 'r-1', iat: 1772352000, time: '2026-03-01T08:00:00.000Z', decision: 'accept', face: { status: 'matched', score: 0.7123, threshold: 0.5 }, event: '01900000-0000-7000-8000-000000000000' });
    expect(claims.person).toBe(personDigest(person));
    // The digest is of the canonical form: keys sorted, no spaces, UTF-8.
    expect(canonicalPerson(person).startsWith('{"document":{"dateOfBirth":"1990-05-17","dateOfExpiry"')).toBe(true);
    expect(nodeVerifies(jws, jwk)).toBe(true);
    expect(nobleVerifies(jws, jwk)).toBe(true);
    expect(opensslVerifies(jws, jwk, dir)).toBe(true);
    const payload = Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8');
    for (const s of ['Lê Thị Mẫu', '000190012345', '190012345', '1990-05-17', 'LE', 'Thử']) expect(payload).not.toContain(s);
  });

  it('one changed byte anywhere (header, payload, signature) fails every verifier', async () => {
    const { jws, jwk, dir } = await made();
    const [h, p] = jws.split('.');
    // One position in each part, plus the signature's first and last characters.
    const positions = [3, h!.length + 1 + Math.floor(p!.length / 2), h!.length + p!.length + 2, jws.length - 2];
    for (const i of positions) {
      const bad = flip(jws, i);
      expect(bad).not.toBe(jws);
      await expect(verifyReceipt(bad, jwk)).rejects.toThrow();
      expect(nodeVerifies(bad, jwk)).toBe(false);
      expect(nobleVerifies(bad, jwk)).toBe(false);
      expect(opensslVerifies(bad, jwk, dir)).toBe(false);
    }
    // Another device's key does not verify it either.
    const other = (await deviceSigningKey(loadOrCreateDeviceKeys(tempDir()))).publicJwk;
    await expect(verifyReceipt(jws, other)).rejects.toThrow();
    expect(nodeVerifies(jws, other)).toBe(false);
  });

  it('a different person gives a different digest, the same person the same one', () => {
    const same = JSON.parse(JSON.stringify(person)) as typeof person;
    expect(personDigest(same)).toBe(personDigest(person));
    const other = JSON.parse(JSON.stringify(person)) as { vn: { fullName: string } };
    other.vn.fullName = 'Lê Thị Mầu';
    expect(personDigest(other as never)).not.toBe(personDigest(person));
  });

  it('the sync server answers for an enrolled device key, and that key checks the kiosk\'s receipt', async () => {
    const srv = await ingest();
    try {
      const store = openLocalStore({ dataDir: tempDir('idk-rcpt-store-') });
      try {
        expect((await fetch(`${srv.url}/v1/devices/${store.keys.deviceId}/key`)).status).toBe(404);
        await enrolDevice(store, srv.url, INGEST_TOKEN, 'Bệnh viện thử nghiệm');
        const answer = (await (await fetch(`${srv.url}/v1/devices/${store.keys.deviceId}/key`)).json()) as { deviceId: string; jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string } };
        expect(answer.deviceId).toBe(store.keys.deviceId);
        const signer = await deviceSigningKey(store.keys);
        expect(answer.jwk.x).toBe(signer.publicJwk.x);
        const jws = await signReceipt(signer, { readId: 'r-2', at: new Date(), decision: 'review', authenticity: { level: 'amber', reason: 'no-trust-anchor', passive: 'no-trust-anchor', chip: 'valid', active: 'not-supported' }, biometric: { status: 'not-available' }, person, eventId: null });
        expect((await verifyReceipt(jws, answer.jwk)).device).toBe(store.keys.deviceId);
        expect(nodeVerifies(jws, answer.jwk)).toBe(true);
      } finally {
        store.close();
      }
    } finally {
      await srv.stop();
    }
  });
});
