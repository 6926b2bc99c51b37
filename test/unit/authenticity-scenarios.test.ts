// The test PKI scenarios of issue 3, end to end: a card built and signed by a test PKI,
// served by the software chip, read with PACE, and judged against a trust store. Each
// scenario must come out with the right outcome and the reason a clerk would be given.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { buildSod } from '../../drivers/emrtd/sod.js';
import { type Person, buildCard } from '../../drivers/emulator/card-builder.js';
import { saveCardFolder } from '../../drivers/emulator/card-folder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import {
  type Csca,
  type DocumentSigner,
  buildMasterList,
  certificateSerial,
  createCsca,
  issueCrl,
  issueDocumentSigner,
  issueMasterListSigner,
  toPem,
} from '../../drivers/emulator/test-pki.js';
import { type TrustStore, buildTrustStore } from '../../drivers/emrtd/trust-store.js';
import { runRead } from '../../main/read/run-read.js';
import { authenticityLine } from '../../main/read/summary.js';
import { authenticityLevel } from '../../main/verify/policy.js';
import { decodeDocument } from '../../main/verify/report.js';
import { demoPerson, tempDir } from '../helpers/cards.js';

const CAN = { kind: 'can', can: '012345' } as const;
const YEAR = 365 * 86_400_000;

let person: Person;
let csca: Csca;
let ds: DocumentSigner;
let emptyCrl: Uint8Array;
let genuine: CardImage;
let trust: TrustStore;

const pem = (der: Uint8Array) => new TextEncoder().encode(toPem('CERTIFICATE', der));

async function verify(card: CardImage, store?: TrustStore) {
  return verifyWith(card, store ?? trust);
}

async function verifyWith(card: CardImage, store: TrustStore | undefined) {
  const raw = await readDocument(new SoftwareChip(card), { access: CAN });
  return (await decodeDocument(raw, 0, { trust: store })).report.authenticity;
}

/** The same data groups signed again with another signer or at another time. */
async function resign(card: CardImage, signer: DocumentSigner, signingTime?: Date): Promise<CardImage> {
  const groups = new Map<number, Uint8Array>();
  for (const [k, v] of card.files) if (/^DG\d+$/.test(k)) groups.set(Number(k.slice(2)), v);
  const sod = await buildSod({ hashAlgorithm: 'sha256', dataGroups: groups, signer, signingTime });
  return { ...card, files: new Map(card.files).set('EF.SOD', sod) };
}

beforeAll(async () => {
  person = await demoPerson('cccd');
  csca = await createCsca({ country: 'VN' });
  ds = await issueDocumentSigner(csca);
  emptyCrl = await issueCrl(csca, []);
  genuine = await buildCard(person, ds);
  trust = buildTrustStore([
    { name: 'csca-vn.pem', bytes: pem(csca.certificate) },
    { name: 'csca-vn.crl', bytes: emptyCrl },
  ]);
  expect(trust.problems).toEqual([]);
});

describe('a genuine card', () => {
  it('is valid on all three counts, chained to the CSCA of the trust folder', async () => {
    const a = await verify(genuine);
    expect(a.passive).toBe('valid');
    expect(a.reason).toBeUndefined();
    expect(a.csca).toEqual({ subject: 'C=VN, O=Test PKI, CN=CSCA VN TEST', source: 'csca-vn.pem' });
    expect(a.signer?.subject).toBe('C=VN, O=Test PKI, CN=DS VN TEST');
    expect(a.signer?.serial).toBe(certificateSerial(ds.certificate).toString(16).toUpperCase());
    expect(a.dataGroups).toEqual({ DG1: 'ok', DG2: 'ok', DG13: 'ok', DG14: 'ok', DG15: 'ok' });
    expect(a.chip).toBe('valid');
    expect(a.chipProtocol).toBe('0.4.0.127.0.7.2.2.3.2.2'); // id-CA-ECDH-AES-CBC-CMAC-128
    expect(a.active).toBe('valid');
    expect(a.activeProtocol).toBe('ECDSA SHA256');
    expect(a.warnings ?? []).toEqual([]);
    expect(authenticityLevel(a).level).toBe('green');
    expect(authenticityLine(a, 'vi')).toBe('XANH — THẺ THẬT');
  });

  it('without a trust store is no-trust-anchor, never valid', async () => {
    const a = await verifyWith(genuine, undefined);
    expect(a.passive).toBe('no-trust-anchor');
    expect(a.reasonCode).toBe('no-trust-store');
    expect(authenticityLevel(a).level).toBe('amber');
  });

  it('signed years ago by a Document Signer that has expired since is still valid (checked at signing time)', async () => {
    const longLived = await createCsca({ country: 'VN', commonName: 'CSCA VN 2015', notBefore: new Date(Date.now() - 10 * YEAR) });
    const old = await issueDocumentSigner(longLived, { notBefore: new Date(Date.now() - 3 * YEAR), notAfter: new Date(Date.now() - 2 * YEAR) });
    const signedAt = new Date(Math.floor((Date.now() - 2.5 * YEAR) / 1000) * 1000);
    const card = await resign(genuine, old, signedAt);
    const a = await verify(card, buildTrustStore([{ name: 'vn-2015.pem', bytes: pem(longLived.certificate) }]));
    expect(a.passive).toBe('valid');
    expect(a.signer?.signingTime).toBe(signedAt.toISOString());
    // The same signature judged today would fail: that is what the signing time is for.
    expect(new Date(a.signer!.notAfter!).getTime()).toBeLessThan(Date.now());
  });

  it('signed with RSA-PSS under an RSA CSCA is valid too', async () => {
    const rsaCsca = await createCsca({ country: 'VN', commonName: 'CSCA VN RSA', keyAlgorithm: 'rsa-3072' });
    const pss = await issueDocumentSigner(rsaCsca, { keyAlgorithm: 'rsa-pss-2048' });
    const store = buildTrustStore([{ name: 'rsa.der', bytes: rsaCsca.certificate }]);
    const a = await verify(await resign(genuine, pss), store);
    expect(a.passive).toBe('valid');
    expect(a.signer?.signatureAlgorithm).toBe('1.2.840.113549.1.1.10');
  });
});

describe('forgeries and misissued documents', () => {
  it('a data group altered after signing is invalid, naming the group', async () => {
    const dg13 = Uint8Array.from(genuine.files.get('DG13')!);
    dg13[dg13.length - 3]! ^= 0x20;
    const a = await verify({ ...genuine, files: new Map(genuine.files).set('DG13', dg13) });
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('dg-mismatch');
    expect(a.reason).toContain('DG13');
    expect(a.dataGroups.DG13).toBe('mismatch');
    expect(a.dataGroups.DG1).toBe('ok');
    expect(authenticityLevel(a).level).toBe('red');
    expect(authenticityLine(a, 'vi')).toBe('ĐỎ — KHÔNG HỢP LỆ: dữ liệu DG13 bị sửa sau khi ký');
    expect(authenticityLine(a, 'en')).toBe('RED — NOT GENUINE: DG13 altered after signing');
  });

  it('a SOD signed by a Document Signer of another CSCA (same name, other key) has no trust anchor', async () => {
    const rogue = await createCsca({ country: 'VN' });
    const a = await verify(await resign(genuine, await issueDocumentSigner(rogue)));
    expect(a.passive).toBe('no-trust-anchor');
    expect(a.reasonCode).toBe('unknown-csca');
    expect(a.reason).toContain('CSCA VN TEST');
    expect(authenticityLine(a, 'vi')).toContain('không có CSCA của nước cấp trong kho tin cậy');
  });

  it('a Document Signer that claims the CSCA but was signed by another key is invalid', async () => {
    const rogue = await createCsca({ country: 'VN' });
    const impostor = await issueDocumentSigner({ ...csca, privateKey: rogue.privateKey });
    const a = await verify(await resign(genuine, impostor));
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('chain-signature');
  });

  it('a Document Signer expired at the signing time is invalid', async () => {
    const expired = await issueDocumentSigner(csca, { notBefore: new Date(Date.now() - 3 * YEAR), notAfter: new Date(Date.now() - 2 * YEAR) });
    const a = await verify(await resign(genuine, expired));
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('ds-expired');
    expect(a.reason).toMatch(/had expired \(\d{4}-.*\) when the SOD was signed/);
    expect(authenticityLine(a, 'vi')).toContain('chứng thư ký (DS) đã hết hạn khi ký');
  });

  it('a Document Signer revoked in a CRL of the trust folder is invalid', async () => {
    const crl = await issueCrl(csca, [certificateSerial(ds.certificate)], { crlNumber: 2n });
    const store = buildTrustStore([
      { name: 'csca-vn.pem', bytes: pem(csca.certificate) },
      { name: 'csca-vn-2.crl', bytes: crl },
    ]);
    const a = await verify(genuine, store);
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('ds-revoked');
    expect(a.reason).toContain('csca-vn-2.crl');
    // The chip is still the original one: only the data is no longer trusted.
    expect(a.chip).toBe('valid');
  });

  it('a CRL signed by someone else is ignored, with a problem, and revokes nothing', async () => {
    const rogue = await createCsca({ country: 'VN' });
    const forgedCrl = await issueCrl({ ...csca, privateKey: rogue.privateKey }, [certificateSerial(ds.certificate)]);
    const store = buildTrustStore([
      { name: 'csca-vn.pem', bytes: pem(csca.certificate) },
      { name: 'forged.crl', bytes: forgedCrl },
    ]);
    expect(store.problems.map((p) => [p.file, p.code])).toEqual([['forged.crl', 'CRL_UNTRUSTED']]);
    const a = await verify(genuine, store);
    expect(a.passive).toBe('valid');
    expect(a.warnings).toEqual(['no CRL from C=VN, O=Test PKI, CN=CSCA VN TEST in the trust store: revocation not checked']);
  });

  it('a document whose issuing state is not the signer’s country is invalid', async () => {
    const card = await buildCard({ ...person, issuingState: 'KHM' }, ds);
    const a = await verify(card);
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('issuing-state');
    expect(a.reason).toBe('the Document Signer is of VN, but the document says it was issued by KHM');
  });

  it('a CSCA expired at the signing time is invalid', async () => {
    const oldCsca = await createCsca({ country: 'VN', commonName: 'CSCA VN OLD', notBefore: new Date(Date.now() - 20 * YEAR), notAfter: new Date(Date.now() - 5 * YEAR) });
    const signer = await issueDocumentSigner(oldCsca);
    const a = await verify(await resign(genuine, signer), buildTrustStore([{ name: 'old.pem', bytes: pem(oldCsca.certificate) }]));
    expect(a.passive).toBe('invalid');
    expect(a.reasonCode).toBe('csca-expired');
  });
});

describe('cloned chips', () => {
  it('the same files on a chip with other keys fail chip and active authentication, passive stays valid', async () => {
    const other = await buildCard(person, ds);
    const clone: CardImage = { ...genuine, secrets: { ...other.secrets, can: genuine.secrets.can } };
    const a = await verify(clone);
    expect(a.passive).toBe('valid');
    expect(a.chip).toBe('invalid');
    expect(a.chipReason).toContain('does not hold the DG14 private key');
    expect(a.active).toBe('invalid');
    expect(a.activeReason).toBe('the signature does not verify with the DG15 key');
    expect(authenticityLevel(a).level).toBe('red');
    expect(authenticityLine(a, 'en')).toBe(
      'RED — NOT GENUINE: the chip failed chip authentication (possible clone); the chip failed active authentication (possible clone)',
    );
  });

  it('the same files on a blank chip without the private keys fail both too', async () => {
    const blank: CardImage = { ...genuine, secrets: { can: genuine.secrets.can } };
    const a = await verify(blank);
    expect(a.passive).toBe('valid');
    expect(a.chip).toBe('invalid');
    expect(a.chipReason).toMatch(/refused chip authentication \(MSE:Set AT, status 6A88\)/);
    expect(a.active).toBe('invalid');
    expect(a.activeReason).toMatch(/refused INTERNAL AUTHENTICATE \(status 6D00\)/);
  });
});

describe('trust folders as operators get them', () => {
  it('a master list instead of the bare CSCA gives the same valid result', async () => {
    const th = await createCsca({ country: 'TH' });
    const mls = await issueMasterListSigner(csca);
    const ml = await buildMasterList(mls, [csca.certificate, th.certificate]);
    const store = buildTrustStore([{ name: 'ICAO_ml.ml', bytes: ml }]);
    expect(store.problems).toEqual([]);
    expect(store.anchors.map((x) => x.certificate.country)).toEqual(['VN', 'TH']);
    const a = await verify(genuine, store);
    expect(a.passive).toBe('valid');
    expect(a.csca?.source).toBe('ICAO_ml.ml (master list)');
  });

  it('a master list whose signer no listed CSCA issued is refused, so its CSCAs are not trusted', async () => {
    const rogue = await createCsca({ country: 'VN' });
    const ml = await buildMasterList(await issueMasterListSigner(rogue), [csca.certificate]);
    const store = buildTrustStore([{ name: 'rogue.ml', bytes: ml }]);
    expect(store.anchors).toEqual([]);
    expect(store.problems.map((p) => p.code)).toEqual(['MASTER_LIST_UNTRUSTED']);
    expect((await verify(genuine, store)).passive).toBe('no-trust-anchor');
  });

  it('a real-world-shaped folder (several CSCAs, a bundle, a DS by mistake, garbage, a README) works through `read --trust`', async () => {
    const dir = tempDir('idk-trust-');
    const th = await createCsca({ country: 'TH', keyAlgorithm: 'ecdsa-p384' });
    const kh = await createCsca({ country: 'KH', keyAlgorithm: 'rsa-2048' });
    const la = await createCsca({ country: 'LA' });
    await mkdir(join(dir, 'asia'), { recursive: true });
    await writeFile(join(dir, 'VN_CSCA_2024.cer'), csca.certificate);
    await writeFile(join(dir, 'asia', 'TH.pem'), toPem('CERTIFICATE', th.certificate));
    await writeFile(join(dir, 'asia', 'bundle.crt'), toPem('CERTIFICATE', kh.certificate) + toPem('CERTIFICATE', la.certificate));
    await writeFile(join(dir, 'VN.crl'), emptyCrl);
    await writeFile(join(dir, 'ds-by-mistake.pem'), toPem('CERTIFICATE', ds.certificate));
    await writeFile(join(dir, 'garbage.pem'), 'this is not a certificate\n');
    await writeFile(join(dir, 'truncated.der'), csca.certificate.subarray(0, 100));
    await writeFile(join(dir, 'README.txt'), 'CSCA certificates downloaded from the ICAO PKD\n');
    const cardDir = join(tempDir('idk-card-'), 'card');
    await saveCardFolder(cardDir, genuine);

    const { report } = await runRead({ card: cardDir, can: '012345', trust: dir });
    const a = report.authenticity;
    expect(a.passive).toBe('valid');
    expect(a.csca?.source).toBe('VN_CSCA_2024.cer');
    expect(a.chip).toBe('valid');
    expect(a.active).toBe('valid');
    expect(a.trust?.anchors).toBe(4);
    expect(a.trust?.crls).toBe(1);
    expect(a.trust?.problems.map((p) => [p.file, p.code]).sort()).toEqual([
      ['ds-by-mistake.pem', 'NOT_A_CA'],
      ['garbage.pem', 'NOT_PKI'],
      ['truncated.der', 'NOT_PKI'],
    ]);
  });

  it('a trust folder that does not exist stops the read with a clear error before the card is touched', async () => {
    const e = await runRead({ card: '/nonexistent-card', can: '012345', trust: '/nonexistent-trust' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRUST_FOLDER_UNREADABLE' });
  });
});
