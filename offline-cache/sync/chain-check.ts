// Re-verifies a device's chain as the server holds it, from genesis: every stored body
// hashes to its stored hash in order, with no gap, and every stored tip signature verifies
// with the device key. It needs nothing personal: a purged event (subject dropped by the
// retention policy) verifies like any other and is counted as purged, never as missing.
import { b64 } from '../canonical.js';
import { type EventBody, chainHash, genesisHash } from '../events.js';
import { verifyHashSignatureFast } from './ed25519-verify.js';
import type { StoredEventRow } from './server-store.js';

interface ChainCheck {
  ok: boolean;
  events: number;
  purged: number;
  signatures: number;
  /** The first sequence number that does not verify, and why. */
  problem?: { seq: number; why: string };
}

export function checkStoredChain(rows: StoredEventRow[], signPublicKey: Uint8Array): ChainCheck {
  let prev = genesisHash(signPublicKey);
  let purged = 0;
  let signatures = 0;
  const fail = (seq: number, why: string): ChainCheck => ({ ok: false, events: rows.length, purged, signatures, problem: { seq, why } });
  for (const [i, r] of rows.entries()) {
    if (r.seq !== i + 1) return fail(i + 1, `missing (next stored is ${r.seq})`);
    let body: EventBody;
    try {
      body = JSON.parse(r.body) as EventBody;
    } catch {
      return fail(r.seq, 'body is not JSON');
    }
    prev = chainHash(prev, body);
    if (b64(prev) !== b64(r.hash)) return fail(r.seq, 'hash does not follow from the chain');
    if (r.sig) {
      if (!verifyHashSignatureFast(prev, r.sig, signPublicKey)) return fail(r.seq, 'signature does not verify');
      signatures++;
    }
    if (r.purgedAt !== null) {
      if (r.subject !== null) return fail(r.seq, 'marked purged but still holds its subject');
      purged++;
    } else if (r.subject === null) return fail(r.seq, 'subject missing without a purge');
  }
  // The chain is vouched for by the device only up to its last signed event.
  const lastSigned = rows.findLastIndex((r) => r.sig !== null);
  if (rows.length > 0 && lastSigned !== rows.length - 1) return fail(rows[rows.length - 1]!.seq, 'the newest events carry no signature');
  return { ok: true, events: rows.length, purged, signatures };
}
