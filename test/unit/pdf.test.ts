// The printed record: a one-page PDF with an embedded Vietnamese font. poppler's pdftotext
// must give back every field of the card with its diacritics exact; pdftoppm renders the
// page to test/artifacts/record-*.png, and the receipt's QR code on that picture decodes
// (zxing) to the very JWS the kiosk signed, which verifies with the device key.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BarcodeDecoder, loadImageFile } from '../../drivers/qr/decode.js';
import { loadOrCreateDeviceKeys } from '../../offline-cache/device-keys.js';
import { recordPdf, recordRows } from '../../main/formats/pdf.js';
import { deviceSigningKey, signReceipt, verifyReceipt } from '../../main/formats/receipt.js';
import { runRead } from '../../main/read/run-read.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';

const ARTIFACTS = join(packageRoot(), 'test/artifacts');

function pdftotext(file: string): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/** Words as a reader sees them: line breaks and runs of spaces are one space. */
const flat = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ');

async function make(which: 'cccd' | 'passport', photo: boolean): Promise<{ pdf: Buffer; receipt: string; jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string }; rows: Array<[string, string]> }> {
  const args = which === 'cccd' ? { card: demoCard('cccd'), can: '012345' } : { card: demoCard('passport'), mrz: 'C0000001:851102:311102' };
  const { report, faceImage } = await runRead(args);
  const signer = await deviceSigningKey(loadOrCreateDeviceKeys(tempDir('idk-pdf-')));
  const at = new Date('2026-03-01T08:15:00Z');
  const authenticity = { level: 'amber' as const, reason: 'no-trust-anchor', passive: report.authenticity.passive, chip: report.authenticity.chip, active: report.authenticity.active };
  const receipt = await signReceipt(signer, { readId: 'r-pdf', at, decision: 'review', authenticity, biometric: { status: 'not-available' }, person: { document: report.document, vn: report.vn }, eventId: '01900000-0000-7000-8000-000000000001' });
  const pdf = await recordPdf({ report, decision: 'review', level: 'amber', levelReason: 'no-trust-anchor', biometric: { status: 'not-available' }, receipt, deviceId: signer.deviceId, station: 'Quầy tiếp đón 1', eventId: '01900000-0000-7000-8000-000000000001', at, ...(photo && faceImage ? { photo: faceImage } : {}) });
  return { pdf, receipt, jwk: signer.publicJwk, rows: recordRows(report) };
}

describe('the PDF record', () => {
  it('gives back every field of the CCCD with its diacritics exact, on one page, with the receipt as a QR code', async () => {
    const { pdf, receipt, jwk, rows } = await make('cccd', true);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = tempDir('idk-pdf-out-');
    const file = join(dir, 'record.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    expect(info).toMatch(/^Pages:\s+1$/m);
    // The font travels in the file: a printer without Noto prints the same letters.
    const fontsOut = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fontsOut).toMatch(/NotoSans.*yes\s+yes/);
    const text = flat(pdftotext(file));
    expect(rows.length).toBeGreaterThanOrEqual(16);
    for (const [label, value] of rows) {
      expect(text).toContain(flat(label));
      expect(text).toContain(flat(value));
    }
    for (const s of ['Lê Thị Mẫu', 'Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng', 'Nốt ruồi C:1cm trên trước mép phải', 'Phạm Thị Nghiệm', '17/05/1990', 'VÀNG — CHƯA XÁC MINH ĐỦ', 'Cần nhân viên xem xét', 'Quầy tiếp đón 1', '2026-03-01 08:15:00 UTC']) {
      expect(text).toContain(s);
    }
    // The page as a picture (kept as an artefact), and its QR code read back by zxing.
    mkdirSync(ARTIFACTS, { recursive: true });
    execFileSync('pdftoppm', ['-png', '-r', '200', '-singlefile', file, join(ARTIFACTS, 'record-cccd')]);
    const png = join(ARTIFACTS, 'record-cccd.png');
    const code = new BarcodeDecoder().decode(await loadImageFile(png));
    expect(code?.text).toBe(receipt);
    expect((await verifyReceipt(code!.text, jwk)).event).toBe('01900000-0000-7000-8000-000000000001');
  });

  it('prints a passport from DG1 without a portrait when none is passed', async () => {
    const { pdf, rows } = await make('passport', false);
    const dir = tempDir('idk-pdf-out-');
    const file = join(dir, 'record.pdf');
    writeFileSync(file, pdf);
    const text = flat(pdftotext(file));
    for (const [, value] of rows) expect(text).toContain(flat(value));
    // The only pictures are the receipt's QR code (square, one pixel a module): the portrait is absent, not hidden.
    const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/));
    expect(images.length).toBeGreaterThan(0);
    for (const i of images) {
      expect(i[3]).toBe(i[4]);
      expect(Number(i[3])).toBeLessThan(200);
    }
    execFileSync('pdftoppm', ['-png', '-r', '60', '-singlefile', file, join(ARTIFACTS, 'record-passport')]);
  });
});
