// Turns the raw files of one read into the result object of DESIGN.md (`read --json`):
// decoded data, the face's description, and what the SOD says of each data group.
import { hex } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import { type Dg1, parseDg1 } from '../../drivers/emrtd/dg1.js';
import { type Dg13, parseDg13 } from '../../drivers/emrtd/dg13.js';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import { sha } from '../../drivers/emrtd/crypto.js';
import type { AuthCheck } from '../../drivers/emrtd/chip-auth.js';
import { type DgCheck, type PassiveOutcome, type PassiveReason, type SignerSummary, passiveAuthentication } from '../../drivers/emrtd/passive-auth.js';
import type { AccessMethod, RawDocument } from '../../drivers/emrtd/read-document.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';

export type { DgCheck, PassiveOutcome } from '../../drivers/emrtd/passive-auth.js';
type ChipOutcome = 'valid' | 'invalid' | 'not-supported' | 'not-checked';

interface DecodeOptions {
  /** CSCAs, master lists and CRLs to chain the Document Signer to; none gives `no-trust-anchor`. */
  trust?: TrustStore;
  /** The clock for validity checks (tests). */
  now?: Date;
}

/** The DG1 fields of DESIGN.md's `document` object (the MRZ text and check flags stay inside). */
type DocumentFields = Pick<
  Dg1,
  'documentType' | 'issuingState' | 'documentNumber' | 'surname' | 'givenNames' | 'nationality' | 'dateOfBirth' | 'sex' | 'dateOfExpiry' | 'optionalData'
>;

export interface ReadReport {
  document: DocumentFields;
  vn: Dg13 | null;
  face: { format: string; width: number; height: number; sha256: string } | null;
  authenticity: {
    passive: PassiveOutcome;
    reason?: string;
    /** Stable code of the passive reason, for translation (docs/authenticity.md). */
    reasonCode?: PassiveReason;
    dataGroups: Record<string, DgCheck>;
    signer?: SignerSummary;
    /** The CSCA the Document Signer chains to and the trust-store file holding it. */
    csca?: { subject: string; source: string };
    /** Notes that do not change the outcome (no CRL for this CSCA, CRL out of date...). */
    warnings?: string[];
    chip: ChipOutcome;
    chipReason?: string;
    chipProtocol?: string;
    active: ChipOutcome;
    activeReason?: string;
    activeProtocol?: string;
    /** The trust store used: how many CSCAs and CRLs, and the files it could not use. */
    trust?: { anchors: number; crls: number; problems: { file: string; code: string; message: string }[] };
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

export async function decodeDocument(raw: RawDocument, ms: number, opts: DecodeOptions = {}): Promise<Decoded> {
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
      authenticity: authenticity(raw, opts),
      access: raw.access,
      stats: { ...raw.stats, ms: Math.round(ms) },
    },
    faceImage: faceRecord?.image,
  };
}

function authenticity(raw: RawDocument, opts: DecodeOptions): ReadReport['authenticity'] {
  const p = passiveAuthentication({ files: raw.files, trust: opts.trust, now: opts.now });
  const chip = antiCloning(raw.chipAuthentication, raw.files.has('DG14'));
  const active = antiCloning(raw.activeAuthentication, raw.files.has('DG15'));
  const out: ReadReport['authenticity'] = { passive: p.outcome, dataGroups: p.dataGroups, chip: chip.outcome, active: active.outcome };
  if (p.reason) Object.assign(out, { reason: p.reason, reasonCode: p.reasonCode });
  if (p.signer) out.signer = p.signer;
  if (p.csca) out.csca = p.csca;
  if (p.warnings.length) out.warnings = p.warnings;
  if (chip.reason) out.chipReason = chip.reason;
  if (chip.protocol) out.chipProtocol = chip.protocol;
  if (active.reason) out.activeReason = active.reason;
  if (active.protocol) out.activeProtocol = active.protocol;
  if (opts.trust) {
    out.trust = {
      anchors: opts.trust.anchors.length,
      crls: opts.trust.crls.length,
      problems: opts.trust.problems.map((q) => ({ file: q.file, code: q.code, message: q.messages.en })),
    };
  }
  return out;
}

/** A check the read did not attempt is `not-checked` when the file is there, `not-supported` when not. */
function antiCloning(check: AuthCheck | undefined, fileRead: boolean): AuthCheck {
  if (check) return check;
  return fileRead ? { outcome: 'not-checked', reason: 'not attempted in this read' } : { outcome: 'not-supported' };
}
