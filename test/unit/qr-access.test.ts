// From a QR to an open chip, and the QR checked against the chip: the demo CCCD through the
// software chip, BAC-only cards built for the purpose, and `idkiosk qr` run as a command.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import type { Person } from '../../drivers/emulator/card-builder.js';
import { buildCccdQr } from '../../drivers/qr/cccd-qr.js';
import { qrCommand } from '../../main/commands/qr.js';
import { accessFromQr, compareQrWithChip, readWithQr } from '../../main/verify/qr-access.js';
import { decodeDocument } from '../../main/verify/report.js';
import { demoPerson, freshCard, loadDemo, tempDir } from '../helpers/cards.js';
import { qrencodePng } from './qr-fixtures.js';

function qrOf(p: Person, over: Partial<Parameters<typeof buildCccdQr>[0]> = {}): string {
  return buildCccdQr({
    idNumber: p.idNumber!,
    oldIdNumber: p.oldIdNumber ?? null,
    fullName: p.fullName,
    dateOfBirth: p.dateOfBirth,
    sex: p.sex,
    placeOfResidence: p.placeOfResidence!,
    dateOfIssue: p.dateOfIssue!,
    ...over,
  });
}

describe('accessFromQr and the demo CCCD', () => {
  it('the CAN from the QR opens the demo chip with PACE, and QR and chip agree', async () => {
    const person = await demoPerson('cccd');
    const { access, qr } = accessFromQr(qrOf(person));
    expect(access).toEqual({ kind: 'can', can: '012345' });
    const raw = await readDocument(new SoftwareChip(await loadDemo('cccd')), { access });
    expect(raw.access).toBe('PACE-GM');
    const { report } = await decodeDocument(raw, 0);
    expect(compareQrWithChip(qr, report)).toEqual({ consistent: true, mismatches: [], notCompared: [] });
  });

  it('a QR whose name differs from the chip is reported as a mismatch', async () => {
    const person = await demoPerson('cccd');
    const { access, qr } = accessFromQr(qrOf(person, { fullName: 'Lê Thị Mẫn' }));
    const { report } = await decodeDocument(await readDocument(new SoftwareChip(await loadDemo('cccd')), { access }), 0);
    const c = compareQrWithChip(qr, report);
    expect(c.consistent).toBe(false);
    expect(c.mismatches).toEqual([{ field: 'fullName', source: 'DG13', qr: 'Lê Thị Mẫn', chip: 'Lê Thị Mẫu' }]);
  });

  it('a QR with another ID number does not open the chip: QR_KEY_NOT_FOUND after the one CAN, no fallback to BAC', async () => {
    const person = await demoPerson('cccd');
    const text = qrOf({ ...person, idNumber: '000190054321' });
    let connects = 0;
    await expect(readWithQr(async () => (connects++, new SoftwareChip(await loadDemo('cccd'))), text)).rejects.toMatchObject({ code: 'QR_KEY_NOT_FOUND', detail: { tried: 1 } });
    expect(connects).toBe(1);
  });

  it('readWithQr says the CAN opened a PACE chip', async () => {
    const person = await demoPerson('cccd');
    const r = await readWithQr(async () => new SoftwareChip(await loadDemo('cccd')), qrOf(person));
    expect(r.openedWith).toEqual({ kind: 'can', can: '012345' });
  });
});

describe('BAC-only chips opened from the QR', () => {
  const bacOnly = (p: Person): Person => ({ ...p, paceParameterId: null, chip: { ...p.chip, pace: false } });

  it('the expiry from the 2014 law opens it on the first attempt', async () => {
    const person = bacOnly(await demoPerson('cccd'));
    const card = await freshCard(person);
    const r = await readWithQr(() => new SoftwareChip(card), qrOf(person));
    expect(r.raw.access).toBe('BAC');
    expect(r.openedWith).toMatchObject({ kind: 'mrz', attempt: 1, inferred: false, key: { documentNumber: '190012345', dateOfBirth: '900517', dateOfExpiry: '300517' } });
  });

  it('a card issued at the grace window\'s edge opens with the next candidate', async () => {
    // Born 1998-08-20, turns 23 on 2021-08-20; issued 2021-08-05. Read literally: valid to 25
    // (2023-08-20); this card's office counted the window from the application: valid to 40.
    const base = await demoPerson('cccd');
    const person = bacOnly({ ...base, idNumber: '001098012345', dateOfBirth: '1998-08-20', sex: 'M', fullName: 'Lê Văn Thử', dateOfIssue: '2021-08-05', dateOfExpiry: '2038-08-20' });
    const card = await freshCard(person);
    const r = await readWithQr(() => new SoftwareChip(card), qrOf(person));
    expect(r.openedWith).toMatchObject({ kind: 'mrz', attempt: 2, inferred: true, key: { dateOfExpiry: '380820' } });
  });

  it('when no candidate opens it, QR_KEY_NOT_FOUND asks for the CAN or MRZ', async () => {
    const person = bacOnly({ ...(await demoPerson('cccd')), dateOfExpiry: '2031-01-01' });
    const card = await freshCard(person);
    try {
      await readWithQr(() => new SoftwareChip(card), qrOf(person));
      expect.unreachable();
    } catch (e) {
      expect(isIdkError(e, 'QR_KEY_NOT_FOUND')).toBe(true);
      if (isIdkError(e)) expect(e.messages.vi).toContain('CAN');
    }
  });
});

describe('idkiosk qr', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const capture = () =>
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });

  it('--text --json prints the DESIGN.md object with the CAN', async () => {
    const person = await demoPerson('cccd');
    capture();
    expect(await qrCommand.run(['--text', qrOf(person), '--json'], { lang: 'vi' })).toBe(0);
    const o = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(o).toMatchObject({
      kind: 'cccd',
      idNumber: '000190012345',
      oldIdNumber: '000123456',
      fullName: 'Lê Thị Mẫu',
      dateOfBirth: '1990-05-17',
      sex: 'Nữ',
      placeOfResidence: person.placeOfResidence,
      dateOfIssue: '2021-04-10',
      can: '012345',
    });
    expect(o.text).toBe(qrOf(person));
  });

  it('--image decodes a qrencode PNG; a foreign code is described, not rejected', async () => {
    const person = await demoPerson('cccd');
    const dir = tempDir('idk-qrcli-');
    writeFileSync(join(dir, 'cccd.png'), qrencodePng(qrOf(person), { size: 3 }));
    writeFileSync(join(dir, 'url.png'), qrencodePng('https://example.org/'));
    capture();
    expect(await qrCommand.run(['--image', join(dir, 'cccd.png'), '--json'], { lang: 'en' })).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ kind: 'cccd', format: 'QR_CODE', can: '012345' });
    out.length = 0;
    expect(await qrCommand.run(['--image', join(dir, 'url.png')], { lang: 'vi' })).toBe(0);
    expect(out.join('')).toContain('không phải mã QR của thẻ CCCD');
  });

  it('clear errors for bad arguments, a malformed CCCD code and an image without a code', async () => {
    await expect(qrCommand.run([], { lang: 'vi' })).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
    await expect(qrCommand.run(['--text', '000190012345|x|y'], { lang: 'vi' })).rejects.toMatchObject({ code: 'QR_TRUNCATED' });
    const png = join(tempDir('idk-qrcli-'), 'blank.png');
    const { PNG } = await import('pngjs');
    const img = new PNG({ width: 64, height: 64 });
    img.data.fill(200);
    writeFileSync(png, PNG.sync.write(img));
    await expect(qrCommand.run(['--image', png], { lang: 'vi' })).rejects.toMatchObject({ code: 'NO_CODE_FOUND' });
  });
});
