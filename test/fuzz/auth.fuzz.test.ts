// Hostile input into authenticity checking: mutated certificates, CRLs and master lists
// into the trust store, mutated SODs into passive authentication, random answers to
// INTERNAL AUTHENTICATE, and random commands to the chip side of Chip Authentication.
// None may throw: the trust store reports bad files, the checks report outcomes.
import fc from 'fast-check';
import type * as pkijs from 'pkijs';
import { equal, hex } from '../../core/bytes.js';
import { parseSod } from '../../drivers/emrtd/sod.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { SW } from '../../drivers/apdu/apdu.js';
import { recoverIso9796, verifyActiveAuthentication } from '../../drivers/emrtd/active-auth.js';
import { ChipAuthenticationChip } from '../../drivers/emrtd/chip-auth.js';
import { buildDg15 } from '../../drivers/emrtd/dg15.js';
import { passiveAuthentication } from '../../drivers/emrtd/passive-auth.js';
import { type SecurityInfo, parseDg14 } from '../../drivers/emrtd/security-infos.js';
import { type TrustStore, buildTrustStore } from '../../drivers/emrtd/trust-store.js';
import { buildCard } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import {
  buildMasterList,
  createCsca,
  generateAaKeyPair,
  issueCrl,
  issueDocumentSigner,
  issueMasterListSigner,
} from '../../drivers/emulator/test-pki.js';
import { demoPerson } from '../helpers/cards.js';
import { RUNS } from './runs.js';

// Each case parses and verifies certificates: far slower than a parser alone.
const numRuns = Math.max(50, Math.floor(RUNS / 10));
const timeout = 120_000 + numRuns * 50;

let cscaDer: Uint8Array;
let crl: Uint8Array;
let masterList: Uint8Array;
let card: CardImage;
let trust: TrustStore;
let rsaDg15: Uint8Array;
let dg14: SecurityInfo[];

beforeAll(async () => {
  const csca = await createCsca({ country: 'VN' });
  cscaDer = csca.certificate;
  crl = await issueCrl(csca, [7n]);
  masterList = await buildMasterList(await issueMasterListSigner(csca), [csca.certificate]);
  card = await buildCard(await demoPerson('cccd'), await issueDocumentSigner(csca));
  trust = buildTrustStore([
    { name: 'c.der', bytes: cscaDer },
    { name: 'c.crl', bytes: crl },
  ]);
  rsaDg15 = buildDg15((await generateAaKeyPair('rsa-1024')).spki);
  dg14 = parseDg14(card.files.get('DG14')!);
});

function mutation(base: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
    const b = Uint8Array.from(base());
    for (const [at, v] of edits) b[at % b.length] = v;
    return b;
  });
  const cut = fc.tuple(fc.nat(), fc.nat({ max: 48 })).map(([at, n]) => {
    const b = base();
    const i = at % b.length;
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)]);
  });
  const truncate = fc.nat().map((n) => base().slice(0, n % base().length));
  return fc.oneof(flips, cut, truncate);
}

describe('trust store fuzz', () => {
  it('mutated certificates, CRLs and master lists are reported, never thrown, never trusted blindly', () => {
    const file = fc.oneof(
      mutation(() => cscaDer).map((bytes) => ({ name: 'x.der', bytes })),
      mutation(() => crl).map((bytes) => ({ name: 'x.crl', bytes })),
      mutation(() => masterList).map((bytes) => ({ name: 'x.ml', bytes })),
      fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ name: 'x.pem', bytes })),
      fc.string({ maxLength: 300 }).map((s) => ({ name: 'y.pem', bytes: new TextEncoder().encode(`-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----\n`) })),
    );
    fc.assert(
      fc.property(file, (f) => {
        const store = buildTrustStore([f]);
        // Whatever comes out is either used or reported; a used CSCA is a CA, a used CRL came from a used CSCA.
        for (const a of store.anchors) expect(a.certificate.isCa).toBe(true);
        for (const c of store.crls) expect(store.anchors.map((a) => a.certificate)).toContain(c.issuer);
        expect(store.anchors.length + store.crls.length + store.problems.length).toBeGreaterThan(0);
      }),
      { numRuns },
    );
  }, timeout);
});

/**
 * What passive authentication's verdict rests on: the LDS security object (hashes), the
 * signed attributes, the signature and the Document Signer certificate. Equal parts mean a
 * mutation touched only what nothing reads (e.g. SignedData's unused digestAlgorithms set).
 */
function signedParts(sod: Uint8Array): Record<string, string> | undefined {
  try {
    const p = parseSod(sod);
    const si = (p.signedData as pkijs.SignedData).signerInfos[0]!;
    return {
      eContent: hex(p.encapsulatedContent),
      signedAttrs: hex(new Uint8Array(si.signedAttrs!.toSchema().toBER(false))),
      signature: hex(new Uint8Array(si.signature.valueBlock.valueHexView)),
      signatureAlgorithm: si.signatureAlgorithm.algorithmId,
      digestAlgorithm: si.digestAlgorithm.algorithmId,
      certificate: hex(p.signerCertificate ?? new Uint8Array(0)),
    };
  } catch {
    return undefined;
  }
}

describe('passive authentication fuzz', () => {
  it('a mutated SOD is never valid unless the mutation is neutral (nothing signed or compared changed), and never throws', () => {
    const original = card.files.get('EF.SOD')!;
    const before = signedParts(original)!;
    let changed = 0;
    let valid = 0;
    fc.assert(
      fc.property(mutation(() => original), (sod) => {
        const r = passiveAuthentication({ files: new Map(card.files).set('EF.SOD', sod), trust });
        expect(['valid', 'invalid', 'no-trust-anchor', 'not-checked']).toContain(r.outcome);
        if (equal(sod, original)) return; // the mutation wrote back the bytes that were there
        changed++;
        if (r.outcome !== 'valid') return;
        valid++;
        // Valid after a real change: only if what the verdict rests on is byte for byte the original's.
        expect(signedParts(sod), 'a changed SOD verified').toEqual(before);
        expect(r.csca?.source).toBe('c.der');
      }),
      { numRuns },
    );
    // The property was exercised: most cases did change the SOD, and changes that verify stay rare.
    expect(changed).toBeGreaterThan(numRuns / 2);
    expect(valid).toBeLessThan(changed / 10);
  }, timeout);
});

describe('anti-cloning fuzz', () => {
  it('random INTERNAL AUTHENTICATE answers never verify and never throw', () => {
    const dg15 = card.files.get('DG15')!;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ maxLength: 300 }), (challenge, sig) => {
        expect(verifyActiveAuthentication(dg15, dg14, challenge, sig).valid).toBe(false);
        expect(verifyActiveAuthentication(rsaDg15, undefined, challenge, sig).valid).toBe(false);
      }),
      { numRuns },
    );
  }, timeout);

  it('ISO 9796-2 recovery of random integers finds no structure by accident', () => {
    const key = { n: (1n << 1023n) + 12345677n, e: 65537n };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 130 }), (sig) => void recoverIso9796(key, sig)), { numRuns });
  }, timeout);

  it('the chip side answers any command with a status word, never an exception', () => {
    const chip = new ChipAuthenticationChip(dg14, card.secrets.chipAuthenticationKey!);
    const command = fc.record({
      cla: fc.constantFrom(0x00, 0x10),
      ins: fc.constantFrom(0x22, 0x86, 0x88),
      p1: fc.constantFrom(0x41, 0x00, 0xc1),
      p2: fc.constantFrom(0xa4, 0xa6, 0x00),
      data: fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 100 }).map((v) => Uint8Array.of(0x7c, v.length + 2, 0x80, v.length, ...v))),
    });
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), (commands) => {
        for (const c of commands) {
          // The software chip passes this straight to the terminal: a throw here would crash the emulator.
          const a = chip.handle(c);
          expect(a.response.sw === SW.OK || a.response.sw >= 0x6000).toBe(true);
        }
      }),
      { numRuns },
    );
  }, timeout);
});
