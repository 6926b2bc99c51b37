// Trust anchors imported on the Settings screen: each file judged with what is loaded before
// it is written; garbage, an orphan CRL or the same list twice refused with the reason and
// nothing written; a master list and then its CRL accepted and kept across a restart; only
// files found on the media roots can be read; the summary's warnings.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMasterList, issueMasterListSigner, loadPki } from '../../drivers/emulator/test-pki.js';
import { TrustAnchors } from '../../main/kiosk/trust-anchors.js';
import { packageRoot } from '../../main/paths.js';
import { trustSummary } from '../../main/verify/trust-summary.js';
import { tempDir } from '../helpers/cards.js';
import { failure } from '../helpers/errors.js';

const DEMO_PKI = join(packageRoot(), 'drivers/emulator/demo/pki');

describe('station trust anchors', () => {
  it('judges before writing, keeps what it accepts, and tells what is loaded', async () => {
    const dir = join(tempDir('idk-trust-'), 'trust');
    const a = new TrustAnchors(dir);
    expect(await a.load()).toBeUndefined();
    expect(a.summary().warnings).toEqual([{ code: 'NO_ANCHORS' }]);
    const crl = new Uint8Array(readFileSync(join(DEMO_PKI, 'csca.crl')));

    expect((await failure((async () => a.import('notes.pem', new TextEncoder().encode('hello')))())).code).toBe('TRUST_FILE_REJECTED');
    // A CRL with no CSCA loaded to vouch for it is of no use yet.
    expect((await failure((async () => a.import('csca.crl', crl))())).messages.en).toContain('not signed by any CSCA');
    expect(existsSync(dir)).toBe(false);

    const pki = await loadPki(DEMO_PKI);
    const ml = await buildMasterList(await issueMasterListSigner(pki.csca), [pki.csca.certificate]);
    const s1 = a.import('VN master list', ml);
    expect(s1.countries).toEqual(['VN']);
    expect(s1.anchors).toHaveLength(1);
    expect(s1.warnings).toContainEqual({ code: 'NO_CRL', about: 'VN' });
    expect((await failure((async () => a.import('again.ml', ml))())).messages.vi).toContain('không thêm gì mới');
    const s2 = a.import('csca.crl', crl);
    expect(s2.crls).toHaveLength(1);
    expect(s2.warnings.filter((w) => w.code === 'NO_CRL')).toEqual([]);
    // Kept under names that read back by their content, 0600.
    expect(readdirSync(dir).sort()).toEqual(['VN_master_list.ml', 'csca.crl']);

    const again = new TrustAnchors(dir);
    expect((await again.load())!.anchors).toHaveLength(1);
    expect(again.summary().crls[0]!.revoked).toBeGreaterThanOrEqual(0);
  });

  it('reads only files found on the media roots', async () => {
    const usb = tempDir('idk-usb-');
    mkdirSync(join(usb, 'certs'));
    writeFileSync(join(usb, 'certs', 'csca.crl'), readFileSync(join(DEMO_PKI, 'csca.crl')));
    writeFileSync(join(usb, 'readme.txt'), 'not trust material');
    const a = new TrustAnchors(join(tempDir('idk-trust-'), 'trust'), { mediaRoots: [usb] });
    expect(a.mediaFiles().map((f) => f.name)).toEqual(['csca.crl']);
    expect((await failure((async () => a.mediaFile('/etc/passwd'))())).code).toBe('TRUST_FILE_REJECTED');
    expect(a.mediaFile(join(usb, 'certs', 'csca.crl')).size).toBeGreaterThan(0);
  });

  it('warns of expired anchors and stale CRLs', async () => {
    const a = new TrustAnchors(DEMO_PKI);
    const store = await a.load();
    const later = trustSummary(store, new Date('2060-01-01'));
    expect(later.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['ANCHOR_EXPIRED', 'CRL_STALE']));
  });
});
