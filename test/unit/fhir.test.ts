// FHIR R4 Patient from a chip read, validated by a maintained FHIR library (the `fhir`
// package's R4 structure definitions and value sets), with every field checked against the
// card: names and address with their diacritics, identifiers, parents as contacts.
import { describe, expect, it } from 'vitest';
import { FHIR_SYSTEMS, patientFromReport } from '../../main/formats/fhir.js';
import { runRead } from '../../main/read/run-read.js';
import { demoCard } from '../../main/paths.js';
import { validateR4 } from '../helpers/fhir.js';


describe('FHIR R4 Patient', () => {
  it('the validator is not a rubber stamp', () => {
    expect(validateR4({ resourceType: 'Patient', gender: 'nam' }).valid).toBe(false);
    expect(validateR4({ resourceType: 'Patient', nickname: 'x' }).valid).toBe(false);
  });

  it('maps the demo CCCD: identifiers, name as written, birth date, gender, residence, parents', async () => {
    const { report } = await runRead({ card: demoCard('cccd'), can: '012345' });
    const p = patientFromReport(report);
    const v = validateR4(p);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
    expect(p.identifier).toEqual([
      expect.objectContaining({ use: 'official', system: FHIR_SYSTEMS.cccd, value: '000190012345', type: { coding: [expect.objectContaining({ code: 'NI' })] } }),
      expect.objectContaining({ use: 'old', system: FHIR_SYSTEMS.cmnd, value: '000123456' }),
    ]);
    expect(p.name).toEqual([{ use: 'official', text: 'Lê Thị Mẫu', family: 'Lê', given: ['Thị Mẫu'] }]);
    expect(p.name[0]!.text.normalize('NFC')).toBe(p.name[0]!.text);
    expect(p.birthDate).toBe('1990-05-17');
    expect(p.gender).toBe('female');
    expect(p.address).toEqual([{ use: 'home', type: 'physical', text: 'Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng', country: 'VN' }]);
    expect(p.contact?.map((c) => [c.relationship[0]!.coding![0]!.code, c.name.text])).toEqual([
      ['FTH', 'Lê Văn Thử'],
      ['MTH', 'Phạm Thị Nghiệm'],
    ]);
    expect(p.extension).toContainEqual({ url: FHIR_SYSTEMS.ethnicity, valueString: 'Kinh' });
    expect(p.extension).toContainEqual({ url: FHIR_SYSTEMS.placeOfOrigin, valueString: 'Xã Thử Nghiệm, Huyện Mẫu, Tỉnh Mô Phỏng' });
  });

  it('maps a passport (no DG13) from DG1 and stays valid', async () => {
    const { report } = await runRead({ card: demoCard('passport'), mrz: 'C0000001:851102:311102' });
    const p = patientFromReport(report);
    expect(validateR4(p).errors).toEqual([]);
    expect(p.identifier[0]).toMatchObject({ system: `${FHIR_SYSTEMS.passport}/${report.document.issuingState.replace(/</g, '')}`, value: report.document.documentNumber, type: { coding: [{ code: 'PPN' }] } });
    expect(p.name[0]).toMatchObject({ family: report.document.surname });
    expect(p.birthDate).toBe(report.document.dateOfBirth);
    expect(p.contact).toBeUndefined();
  });
});
