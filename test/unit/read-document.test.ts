// Whole reads against the software chip in-process: access control, every file, the
// report of DESIGN.md, and what a clerk sees when things go wrong.
import { describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { sha } from '../../drivers/emrtd/crypto.js';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import { type ReadDocumentOptions, readDocument } from '../../drivers/emrtd/read-document.js';
import { PACE } from '../../drivers/emrtd/security-infos.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { decodeDocument } from '../../main/verify/report.js';
import { demoPerson, freshCard, loadDemo } from '../helpers/cards.js';
import { failure } from '../helpers/errors.js';

const CCCD_CAN = { kind: 'can', can: '012345' } as const;
const CCCD_MRZ = { kind: 'mrz', key: { documentNumber: '190012345', dateOfBirth: '900517', dateOfExpiry: '300517' } } as const;
const PASSPORT_MRZ = { kind: 'mrz', key: { documentNumber: 'C0000001', dateOfBirth: '851102', dateOfExpiry: '311102' } } as const;

async function read(card: CardImage, opts: ReadDocumentOptions) {
  const chip = new SoftwareChip(card);
  const raw = await readDocument(chip, opts);
  return { chip, raw, ...(await decodeDocument(raw, 0)) };
}

describe('reading the demo CCCD', () => {
  it('opens with the CAN through PACE and returns DG1, DG13 and the face as on the card', async () => {
    const person = await demoPerson('cccd');
    const card = await loadDemo('cccd');
    const { report, faceImage, raw } = await read(card, { access: CCCD_CAN });
    expect(report.access).toBe('PACE-GM');
    expect(report.document).toMatchObject({
      documentType: 'ID',
      issuingState: 'VNM',
      documentNumber: person.idNumber!.slice(3),
      surname: 'LE',
      givenNames: 'THI MAU',
      dateOfBirth: person.dateOfBirth,
      dateOfExpiry: person.dateOfExpiry,
      sex: 'F',
    });
    expect(report.vn).toMatchObject({
      idNumber: person.idNumber,
      fullName: 'Lê Thị Mẫu',
      placeOfResidence: person.placeOfResidence,
      fatherName: person.fatherName,
      motherName: person.motherName,
      dateOfIssue: person.dateOfIssue,
    });
    expect(report.vn!.fullName).toBe(report.vn!.fullName!.normalize('NFC'));
    // Every file arrives byte for byte.
    for (const [name, bytes] of card.files) expect(hex(raw.files.get(name)!), name).toBe(hex(bytes));
    const dg2Face = parseDg2(card.files.get('DG2')!).faces[0]!;
    expect(report.face).toEqual({ format: 'jpeg', width: 240, height: 320, sha256: hex(sha('sha256', dg2Face.image)).toLowerCase() });
    expect(faceImage).toEqual(dg2Face.image);
    expect(report.authenticity.passive).toBe('no-trust-anchor');
    expect(report.authenticity.dataGroups).toEqual({ DG1: 'ok', DG2: 'ok', DG13: 'ok', DG14: 'ok', DG15: 'ok' });
    expect(report.stats.apdus).toBe(raw.stats.apdus);
  });

  it('opens with the MRZ through PACE as well', async () => {
    const { report } = await read(await loadDemo('cccd'), { access: CCCD_MRZ });
    expect(report.access).toBe('PACE-GM');
    expect(report.vn?.idNumber).toBe('000190012345');
  });

  it('falls back to BAC with the MRZ when PACE is not wanted', async () => {
    const { report } = await read(await loadDemo('cccd'), { access: CCCD_MRZ, preferPace: false });
    expect(report.access).toBe('BAC');
  });

  it('refuses a wrong CAN and a wrong MRZ with ACCESS_DENIED', async () => {
    const card = await loadDemo('cccd');
    expect((await failure(read(card, { access: { kind: 'can', can: '012346' } }))).code).toBe('ACCESS_DENIED');
    const wrongMrz = { kind: 'mrz', key: { ...CCCD_MRZ.key, dateOfBirth: '900518' } } as const;
    expect((await failure(read(card, { access: wrongMrz }))).code).toBe('ACCESS_DENIED');
    expect((await failure(read(card, { access: wrongMrz, preferPace: false }))).code).toBe('ACCESS_DENIED');
  });

  it('reports progress for the face image up to its full size', async () => {
    const card = await loadDemo('cccd');
    const seen: number[] = [];
    await readDocument(new SoftwareChip(card), { access: CCCD_CAN, onProgress: (p) => p.file === 'DG2' && seen.push(p.read) });
    const total = card.files.get('DG2')!.length;
    expect(seen.at(-1)).toBe(total);
    expect(seen.length).toBeGreaterThan(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('reading the demo passport (BAC only)', () => {
  it('opens with BAC, reads DG11/DG12 and has no DG13', async () => {
    const { report, raw } = await read(await loadDemo('passport'), { access: PASSPORT_MRZ });
    expect(report.access).toBe('BAC');
    expect(report.vn).toBeNull();
    expect(report.document).toMatchObject({ documentType: 'P', documentNumber: 'C0000001', surname: 'PHAM', givenNames: 'VAN THU' });
    expect(raw.files.has('DG11')).toBe(true);
    expect(raw.files.has('DG12')).toBe(true);
    expect(report.authenticity.passive).toBe('no-trust-anchor');
  });

  it('says PACE is needed when only a CAN is given', async () => {
    expect((await failure(read(await loadDemo('passport'), { access: { kind: 'can', can: '123456' } }))).code).toBe('PACE_REQUIRED');
  });
});

describe('chip behaviour the reader adapts to', () => {
  it('uses extended length when the chip announces it, in far fewer APDUs', async () => {
    const card = await loadDemo('cccd');
    expect(card.profile.extendedLength).toBe(true);
    const short: CardImage = { ...card, profile: { ...card.profile, extendedLength: false }, files: new Map([...card.files].filter(([k]) => k !== 'EF.ATR/INFO')) };
    const ext = await read(card, { access: CCCD_CAN });
    const sh = await read(short, { access: CCCD_CAN });
    expect(ext.raw.chunk.extended).toBe(true);
    expect(sh.raw.chunk.extended).toBe(false);
    expect(sh.raw.stats.apdus).toBeGreaterThan(ext.raw.stats.apdus * 2);
    expect(hex(sh.raw.files.get('DG2')!)).toBe(hex(ext.raw.files.get('DG2')!));
  });

  it('steps down when the chip refuses the chunk size, and keeps what worked', async () => {
    const card = await loadDemo('cccd');
    const small: CardImage = { ...card, profile: { ...card.profile, maxChunk: 100 } };
    const { raw } = await read(small, { access: CCCD_CAN });
    expect(raw.chunk.chunk).toBeLessThanOrEqual(100);
    expect(hex(raw.files.get('DG2')!)).toBe(hex(card.files.get('DG2')!));
  });

  it('reads files past 32 KiB with READ BINARY (odd INS)', async () => {
    const person = await demoPerson('passport');
    const card = await freshCard({ ...person, faceSeed: 11 });
    // A big JPEG 2000-sized face, as high-resolution DG2s are.
    const { buildDg2 } = await import('../../drivers/emrtd/dg2.js');
    const image = new Uint8Array(40_000).map((_, i) => (i * 31) & 0xff);
    image.set([0xff, 0xd8, 0xff, 0xe0], 0);
    card.files.set('DG2', buildDg2([{ format: 'jpeg', width: 480, height: 640, image }]));
    const { raw } = await read(card, { access: PASSPORT_MRZ });
    expect(raw.files.get('DG2')!.length).toBeGreaterThan(0x7fff);
    expect(hex(raw.files.get('DG2')!)).toBe(hex(card.files.get('DG2')!));
  });

  it('opens chips that offer PACE Integrated Mapping and Chip Authentication Mapping', async () => {
    const person = await demoPerson('cccd');
    for (const [protocol, access] of [
      [PACE.ECDH_IM_AES_CBC_CMAC_128, 'PACE-IM'],
      [PACE.ECDH_CAM_AES_CBC_CMAC_128, 'PACE-CAM'],
    ] as const) {
      const card = await freshCard({ ...person, paceProtocol: protocol });
      const { report } = await read(card, { access: CCCD_CAN });
      expect(report.access).toBe(access);
      expect(report.vn?.fullName).toBe('Lê Thị Mẫu');
    }
  });
});

describe('hostile and failing chips', () => {
  it('a card pulled at any APDU gives CARD_REMOVED, and the next read succeeds', async () => {
    const card = await loadDemo('cccd');
    const full = new SoftwareChip(card);
    await readDocument(full, { access: CCCD_CAN });
    const n = full.apdus;
    expect(n).toBeGreaterThan(10);
    for (let k = 0; k < n; k++) {
      const chip = new SoftwareChip(card);
      chip.removeAfterApdus(k);
      const e = await failure(readDocument(chip, { access: CCCD_CAN }));
      expect(e.code, `pulled at APDU ${k}`).toBe('CARD_REMOVED');
      chip.place();
      const again = await readDocument(chip, { access: CCCD_CAN });
      expect(again.files.get('DG2')?.length).toBe(card.files.get('DG2')!.length);
    }
  });

  it('a corrupted answer is caught: under secure messaging by its MAC, and a read that still succeeds returns only the chip\'s true bytes', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const card = await loadDemo('cccd');
    let macCaught = 0;
    let smFlips = 0;
    for (let i = 0; i < 200; i++) {
      const chip = new SoftwareChip(card);
      const corruptAt = rnd() % 30;
      let count = 0;
      let hit: { sm: boolean; mode: number; changed: boolean; bareStatus: boolean } | undefined;
      const transport = {
        transmit: async (c: Uint8Array) => {
          const r = await chip.transmit(c);
          if (count++ !== corruptAt) return r;
          let b = Uint8Array.from(r);
          const mode = rnd() % 3;
          if (mode === 0 && b.length > 2) {
            const j = rnd() % (b.length - 2);
            b[j] = b[j]! ^ (1 << (rnd() % 8));
          }
          if (mode === 1) b = b.subarray(0, rnd() % b.length);
          if (mode === 2) b = Uint8Array.from({ length: rnd() % 40 }, () => rnd() & 0xff);
          // CLA bits 0x0C mark a command protected by secure messaging (ISO 7816-4 §5.4.1).
          hit = { sm: (c[0]! & 0x0c) === 0x0c, mode, changed: hex(b) !== hex(r), bareStatus: b.length === 2 };
          return b;
        },
      };
      const e = await readDocument(transport, { access: CCCD_CAN }).then(
        (raw) => {
          // Whatever the corruption did, nothing it carried may be taken as the chip's data.
          for (const [name, bytes] of raw.files) expect(hex(bytes), `${name} after corrupting APDU ${corruptAt}`).toBe(hex(card.files.get(name)!));
          // A protected answer that was changed and still let the read finish can only have been a bare error
          // status word (chips may send those unprotected): its file is then reported refused, not filled in.
          if (hit?.sm && hit.changed) {
            expect(hit.bareStatus, `APDU ${corruptAt}: a changed protected answer was accepted`).toBe(true);
            expect(raw.refused.length + [...card.files.keys()].filter((k) => k.startsWith('DG') && !raw.files.has(k)).length).toBeGreaterThan(0);
          }
          return undefined;
        },
        (x: unknown) => x,
      );
      if (e === undefined) continue;
      expect(isIdkError(e), String(e)).toBe(true);
      // A bit flipped inside a protected answer's data objects is what the MAC exists to catch.
      if (hit?.sm && hit.mode === 0 && hit.changed) {
        smFlips++;
        expect((e as { code: string }).code, `APDU ${corruptAt}`).toMatch(/^(SM_MAC_INVALID|MALFORMED_DATA)$/);
        if ((e as { code: string }).code === 'SM_MAC_INVALID') macCaught++;
      }
    }
    // The sweep did reach protected answers and the MAC did the catching (not only the TLV parser).
    expect(smFlips).toBeGreaterThan(10);
    expect(macCaught).toBeGreaterThan(smFlips / 2);
  });

  it('a data group altered after signing makes passive authentication invalid, naming the group', async () => {
    const card = await loadDemo('cccd');
    const dg13 = Uint8Array.from(card.files.get('DG13')!);
    dg13[dg13.length - 1] = dg13[dg13.length - 1]! ^ 0x01;
    const forged: CardImage = { ...card, files: new Map(card.files).set('DG13', dg13) };
    const { report } = await read(forged, { access: CCCD_CAN });
    expect(report.authenticity.passive).toBe('invalid');
    expect(report.authenticity.dataGroups.DG13).toBe('mismatch');
    expect(report.authenticity.dataGroups.DG1).toBe('ok');
    expect(report.authenticity.reason).toContain('DG13');
  });
});
