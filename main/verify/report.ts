// Turns the raw files of one read into the result object of DESIGN.md (`read --json`):
// decoded data, the face's description, and what the SOD says of each data group.
import { hex } from '../../drivers/apdu/bytes.js';
import { IdkError, isIdkError } from '../../drivers/apdu/errors.js';
import { parseDg1 } from '../../drivers/emrtd/dg1.js';
import { type Dg13, parseDg13 } from '../../drivers/emrtd/dg13.js';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import { sha } from '../../drivers/emrtd/crypto.js';
import type { AccessMethod, RawDocument } from '../../drivers/emrtd/read-document.js';
import { hashDataGroup, parseSod, verifySodSignature } from '../../drivers/emrtd/sod.js';

export type DgCheck = 'ok' | 'mismatch' | 'not-read' | 'not-in-sod';
export type PassiveOutcome = 'valid' | 'invalid' | 'no-trust-anchor' | 'not-checked';
export type ChipOutcome = 'valid' | 'invalid' | 'not-supported' | 'not-checked';

export interface DocumentFields {
  documentType: string;
  issuingState: string;
  documentNumber: string;
  surname: string;
  givenNames: string;
  nationality: string;
  dateOfBirth: string;
  sex: string;
  dateOfExpiry: string;
  optionalData: string;
}

export interface ReadReport {
  document: DocumentFields;
  vn: Dg13 | null;
  face: { format: string; width: number; height: number; sha256: string } | null;
  authenticity: {
    passive: PassiveOutcome;
    reason?: string;
    dataGroups: Record<string, DgCheck>;
    signer?: { subject?: string; signingTime?: string; signatureAlgorithm: string };
    chip: ChipOutcome;
    active: ChipOutcome;
  };
  access: AccessMethod;
  stats: { apdus: number; bytesIn: number; bytesOut: number; ms: number };
}

export interface Decoded {
  report: ReadReport;
  faceImage: Uint8Array | undefined;
}

function noDg1(): IdkError {
  return new IdkError('NO_DG1', {
    vi: 'Chip không trả về dữ liệu cá nhân (DG1): thẻ có thể bị hỏng.',
    en: 'The chip returned no personal data (DG1): the card may be damaged.',
  });
}

export async function decodeDocument(raw: RawDocument, ms: number): Promise<Decoded> {
  const dg1Bytes = raw.files.get('DG1');
  if (!dg1Bytes) throw noDg1();
  const dg1 = parseDg1(dg1Bytes);
  const document: DocumentFields = {
    documentType: dg1.documentType,
    issuingState: dg1.issuingState,
    documentNumber: dg1.documentNumber,
    surname: dg1.surname,
    givenNames: dg1.givenNames,
    nationality: dg1.nationality,
    dateOfBirth: dg1.dateOfBirth,
    sex: dg1.sex,
    dateOfExpiry: dg1.dateOfExpiry,
    optionalData: dg1.optionalData,
  };
  const dg13Bytes = raw.files.get('DG13');
  const vn = dg13Bytes ? parseDg13(dg13Bytes) : null;
  const dg2Bytes = raw.files.get('DG2');
  const faceRecord = dg2Bytes ? parseDg2(dg2Bytes).faces[0] : undefined;
  const face = faceRecord
    ? { format: faceRecord.format, width: faceRecord.width, height: faceRecord.height, sha256: hex(sha('sha256', faceRecord.image)).toLowerCase() }
    : null;
  return {
    report: {
      document,
      vn,
      face,
      authenticity: { ...(await passive(raw)), chip: raw.files.has('DG14') ? 'not-checked' : 'not-supported', active: raw.files.has('DG15') ? 'not-checked' : 'not-supported' },
      access: raw.access,
      stats: { ...raw.stats, ms: Math.round(ms) },
    },
    faceImage: faceRecord?.image,
  };
}

/**
 * What can be said without a trust store: each data group's hash against the SOD and the
 * SOD's signature under its own Document Signer certificate. The chain to a CSCA is not
 * checked here, so a fully consistent card reports `no-trust-anchor`, never `valid`.
 */
async function passive(raw: RawDocument): Promise<Pick<ReadReport['authenticity'], 'passive' | 'reason' | 'dataGroups' | 'signer'>> {
  const dataGroups: Record<string, DgCheck> = {};
  const sodBytes = raw.files.get('EF.SOD');
  if (!sodBytes) return { passive: 'not-checked', reason: 'no EF.SOD on the chip', dataGroups };
  let sod;
  try {
    sod = parseSod(sodBytes);
  } catch (e) {
    if (isIdkError(e)) return { passive: 'invalid', reason: `EF.SOD unreadable: ${e.message}`, dataGroups };
    throw e;
  }
  for (const [n, expected] of [...sod.dataGroupHashes].sort((a, b) => a[0] - b[0])) {
    const bytes = raw.files.get(`DG${n}`);
    dataGroups[`DG${n}`] = !bytes ? 'not-read' : hex(hashDataGroup(sod.hashAlgorithm, bytes)) === hex(expected) ? 'ok' : 'mismatch';
  }
  for (const name of raw.files.keys()) {
    if (/^DG\d+$/.test(name) && !(name in dataGroups)) dataGroups[name] = 'not-in-sod';
  }
  const signature = await verifySodSignature(sod);
  const signer = { signingTime: sod.signingTime, signatureAlgorithm: sod.signatureAlgorithmOid };
  const bad = Object.entries(dataGroups).filter(([, v]) => v === 'mismatch' || v === 'not-in-sod');
  if (bad.length > 0) return { passive: 'invalid', reason: `hash mismatch: ${bad.map(([k]) => k).join(', ')}`, dataGroups, signer };
  if (!signature.valid) return { passive: 'invalid', reason: `SOD signature: ${signature.reason ?? 'invalid'}`, dataGroups, signer };
  return { passive: 'no-trust-anchor', reason: 'no trust store given: the Document Signer was not chained to a CSCA', dataGroups, signer };
}
