// Passive authentication, ICAO Doc 9303 Part 11 §5 with the certificate profiles of
// Part 12: is the data on the chip the data the issuing state signed? Pure: it takes the
// files of one read and a trust store and returns the verdict with its reason; no I/O,
// and the clock is a parameter.
//
// Order of the checks (docs/authenticity.md explains them for a clerk):
//  1. EF.SOD present and parseable (CMS SignedData over an LDSSecurityObject);
//  2. every data group read hashes to its value in the SOD;
//  3. the SOD's signature verifies with the Document Signer certificate it carries;
//  4. the Document Signer itself: valid at the signing time, allowed to sign
//     (key usage, document types), and of the state that issued the document (DG1);
//  5. a CSCA of the trust store issued the Document Signer (names, key identifiers,
//     signature), was valid at the signing time, and has not revoked it in a CRL.
// Failing 1-5 gives `invalid` with the reason; no trust store or no CSCA for the
// signer gives `no-trust-anchor`; no EF.SOD gives `not-checked`.
import { hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { parseDg1 } from './dg1.js';
import { hashDataGroup, parseSod, type Sod } from './sod.js';
import {
  type CertInfo,
  type TrustAnchor,
  type TrustStore,
  couldHaveIssued,
  isSignedBy,
  parseCertificate,
  verifyCms,
} from './trust-store.js';

export type PassiveOutcome = 'valid' | 'invalid' | 'no-trust-anchor' | 'not-checked';
export type DgCheck = 'ok' | 'mismatch' | 'not-read' | 'not-in-sod';

/** Stable reason codes, so a UI can translate without parsing English. */
export type PassiveReason =
  | 'no-sod'
  | 'sod-unreadable'
  | 'dg-mismatch'
  | 'dg-not-in-sod'
  | 'sod-signature'
  | 'ds-unreadable'
  | 'ds-expired'
  | 'ds-not-yet-valid'
  | 'ds-key-usage'
  | 'ds-document-type'
  | 'issuing-state'
  | 'no-trust-store'
  | 'unknown-csca'
  | 'chain-signature'
  | 'csca-expired'
  | 'csca-not-yet-valid'
  | 'ds-revoked';

export interface SignerSummary {
  subject?: string;
  issuer?: string;
  serial?: string;
  country?: string;
  notBefore?: string;
  notAfter?: string;
  signingTime?: string;
  signatureAlgorithm: string;
}

interface PassiveResult {
  outcome: PassiveOutcome;
  reason?: string;
  reasonCode?: PassiveReason;
  /** The data groups the reason names (a mismatch). */
  reasonGroups?: string[];
  dataGroups: Record<string, DgCheck>;
  signer?: SignerSummary;
  /** The CSCA the Document Signer chains to, and the trust-store file it came from. */
  csca?: { subject: string; source: string };
  /** The instant validity was judged at: the SOD's signing time, or `now` without one. */
  checkedAt?: string;
  /** Things worth knowing that do not change the outcome (no CRL, CRL out of date...). */
  warnings: string[];
}

interface PassiveInput {
  files: Map<string, Uint8Array>;
  /** No store: the chain cannot be checked, and a consistent card is `no-trust-anchor`. */
  trust?: TrustStore;
  now?: Date;
}

export function passiveAuthentication(input: PassiveInput): PassiveResult {
  const now = input.now ?? new Date();
  const dataGroups: Record<string, DgCheck> = {};
  const warnings: string[] = [];
  const result = (outcome: PassiveOutcome, reasonCode?: PassiveReason, reason?: string, extra: Partial<PassiveResult> = {}): PassiveResult => ({
    outcome,
    ...(reasonCode ? { reasonCode, reason } : {}),
    dataGroups,
    warnings,
    ...extra,
  });

  // 1. The SOD.
  const sodBytes = input.files.get('EF.SOD');
  if (!sodBytes) return result('not-checked', 'no-sod', 'no EF.SOD on the chip');
  let sod: Sod;
  try {
    sod = parseSod(sodBytes);
  } catch (e) {
    if (isIdkError(e)) return result('invalid', 'sod-unreadable', `EF.SOD unreadable: ${e.messages.en}`);
    throw e;
  }

  // 2. Data group hashes.
  for (const [n, expected] of [...sod.dataGroupHashes].sort((a, b) => a[0] - b[0])) {
    const bytes = input.files.get(`DG${n}`);
    dataGroups[`DG${n}`] = !bytes ? 'not-read' : hex(hashDataGroup(sod.hashAlgorithm, bytes)) === hex(expected) ? 'ok' : 'mismatch';
  }
  for (const name of input.files.keys()) {
    if (/^DG\d+$/.test(name) && !(name in dataGroups)) dataGroups[name] = 'not-in-sod';
  }
  const signer: SignerSummary = { signingTime: sod.signingTime, signatureAlgorithm: sod.signatureAlgorithmOid };
  const mismatched = Object.keys(dataGroups).filter((k) => dataGroups[k] === 'mismatch');
  if (mismatched.length) {
    return result('invalid', 'dg-mismatch', `hash mismatch: ${mismatched.join(', ')} changed after signing`, { signer, reasonGroups: mismatched });
  }
  const unlisted = Object.keys(dataGroups).filter((k) => dataGroups[k] === 'not-in-sod');
  if (unlisted.length) {
    return result('invalid', 'dg-not-in-sod', `${unlisted.join(', ')} on the chip but not in the SOD`, { signer, reasonGroups: unlisted });
  }

  // 3. The SOD signature under the Document Signer certificate.
  const cms = verifyCms(sod.signedData, sod.encapsulatedContent);
  if (!cms.signer) return result('invalid', 'sod-signature', `SOD signature: ${cms.check.ok ? 'no Document Signer certificate in the SOD' : cms.check.why}`, { signer });
  let ds: CertInfo;
  try {
    ds = parseCertificate(cms.signer.der);
  } catch (e) {
    return result('invalid', 'ds-unreadable', `Document Signer certificate unreadable: ${String(e)}`, { signer });
  }
  Object.assign(signer, {
    subject: ds.subject,
    issuer: ds.issuer,
    serial: ds.serial.toString(16).toUpperCase(),
    country: ds.country,
    notBefore: ds.notBefore.toISOString(),
    notAfter: ds.notAfter.toISOString(),
  });
  if (!cms.check.ok) return result('invalid', 'sod-signature', `SOD signature: ${cms.check.why}`, { signer });

  // 4. The Document Signer on its own.
  const t = sod.signingTime ? new Date(sod.signingTime) : now;
  const checkedAt = t.toISOString();
  if (!sod.signingTime) warnings.push('the SOD carries no signing time: validity judged at the time of this check');
  else if (t.getTime() > now.getTime() + 86_400_000) warnings.push(`the SOD claims to be signed in the future (${checkedAt}): check this kiosk's clock`);
  const at = { checkedAt };
  const dsDates = validity(ds, t);
  if (dsDates === 'expired') return result('invalid', 'ds-expired', `the Document Signer certificate had expired (${ds.notAfter.toISOString()}) when the SOD was signed (${checkedAt})`, { signer, ...at });
  if (dsDates === 'not-yet') return result('invalid', 'ds-not-yet-valid', `the Document Signer certificate was not yet valid (${ds.notBefore.toISOString()}) when the SOD was signed (${checkedAt})`, { signer, ...at });
  if (ds.keyUsage && !ds.keyUsage.includes('digitalSignature')) {
    return result('invalid', 'ds-key-usage', 'the Document Signer certificate does not allow digital signatures (key usage)', { signer, ...at });
  }
  const dg1 = readDg1(input.files.get('DG1'));
  if (dg1 && ds.documentTypes && ds.documentTypes.length && !ds.documentTypes.some((d) => dg1.documentType.startsWith(d.replace(/<+$/, '')))) {
    return result('invalid', 'ds-document-type', `the Document Signer may sign ${ds.documentTypes.join(', ')} documents, not ${dg1.documentType}`, { signer, ...at });
  }
  if (dg1) {
    const expected = alpha2(dg1.issuingState);
    if (!expected) warnings.push(`issuing state ${dg1.issuingState} has no ISO 3166 two-letter code: not compared with the signer's country`);
    else if (ds.country !== expected) {
      return result('invalid', 'issuing-state', `the Document Signer is of ${ds.country ?? 'no country'}, but the document says it was issued by ${dg1.issuingState}`, { signer, ...at });
    }
  }

  // 5. The chain to a CSCA of the trust store.
  if (!input.trust) return result('no-trust-anchor', 'no-trust-store', 'no trust store given: the Document Signer was not chained to a CSCA', { signer, ...at });
  const candidates = input.trust.anchors.filter((a) => couldHaveIssued(a.certificate, ds));
  if (candidates.length === 0) {
    return result('no-trust-anchor', 'unknown-csca', `no CSCA in the trust store issued this Document Signer (issuer ${ds.issuer})`, { signer, ...at });
  }
  let anchor: TrustAnchor | undefined;
  let why = '';
  for (const a of candidates) {
    const check = isSignedBy(ds, a.certificate);
    if (check.ok) {
      anchor = a;
      break;
    }
    why = check.why;
  }
  if (!anchor) return result('invalid', 'chain-signature', `the Document Signer certificate is not signed by the CSCA ${ds.issuer} (${why})`, { signer, ...at });
  const csca = anchor.certificate;
  const cscaInfo = { subject: csca.subject, source: anchor.source };
  if (ds.country !== csca.country) {
    return result('invalid', 'issuing-state', `the Document Signer (${ds.country ?? '?'}) and its CSCA (${csca.country ?? '?'}) are of different countries`, { signer, csca: cscaInfo, ...at });
  }
  const cscaDates = validity(csca, t);
  if (cscaDates === 'expired') return result('invalid', 'csca-expired', `the CSCA certificate had expired (${csca.notAfter.toISOString()}) when the SOD was signed`, { signer, csca: cscaInfo, ...at });
  if (cscaDates === 'not-yet') return result('invalid', 'csca-not-yet-valid', `the CSCA certificate was not yet valid when the SOD was signed`, { signer, csca: cscaInfo, ...at });

  const crls = input.trust.crls.filter((c) => c.issuer.subjectKey === csca.subjectKey && (!c.issuer.subjectKeyId || !csca.subjectKeyId || c.issuer.subjectKeyId === csca.subjectKeyId));
  if (crls.length === 0) warnings.push(`no CRL from ${csca.subject} in the trust store: revocation not checked`);
  for (const c of crls) {
    const revokedAt = c.crl.revoked.get(ds.serial.toString(16));
    if (revokedAt) {
      return result('invalid', 'ds-revoked', `the Document Signer certificate was revoked on ${revokedAt.toISOString()} (CRL ${c.source})`, { signer, csca: cscaInfo, ...at });
    }
    if (c.crl.nextUpdate && c.crl.nextUpdate.getTime() < now.getTime()) {
      warnings.push(`the CRL ${c.source} is out of date (next update was ${c.crl.nextUpdate.toISOString()}): fetch a newer one`);
    }
  }
  return result('valid', undefined, undefined, { signer, csca: cscaInfo, ...at });
}

function validity(c: CertInfo, t: Date): 'ok' | 'expired' | 'not-yet' {
  if (t.getTime() < c.notBefore.getTime()) return 'not-yet';
  if (t.getTime() > c.notAfter.getTime()) return 'expired';
  return 'ok';
}

function readDg1(bytes: Uint8Array | undefined): { documentType: string; issuingState: string } | undefined {
  if (!bytes) return undefined;
  try {
    return parseDg1(bytes);
  } catch {
    // An unreadable DG1 is the report's problem; its hash was already checked.
    return undefined;
  }
}

// ICAO 9303 Part 3 codes to ISO 3166-1 alpha-2, as certificates spell the country.
// Generated from Debian iso-codes 4.15 (iso_3166-1.json), "alpha_3 alpha_2" pairs.
const ISO_3166 =
  'ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU AUTAT AZEAZ BDIBI BELBE BENBJ ' +
  'BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA ' +
  'CCKCC CHECH CHLCL CHNCN CIVCI CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE ' +
  'DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB ' +
  'GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM HNDHN HRVHR ' +
  'HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH ' +
  'KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD ' +
  'MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA ' +
  'NCLNC NERNE NFKNF NGANG NICNI NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL ' +
  'PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SGSGS SHNSH SJMSJ SLBSB SLESL ' +
  'SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ ' +
  'TKLTK TKMTM TLSTL TONTO TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG ' +
  'VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW';
/** Doc 9303 Part 3 §5 codes that are not ISO 3166 alpha-3 (Germany's D, the British nationality codes, Kosovo, the EU, the UN). */
const ICAO_EXTRA: Record<string, string> = { D: 'DE', GBD: 'GB', GBN: 'GB', GBO: 'GB', GBP: 'GB', GBS: 'GB', RKS: 'XK', EUE: 'EU', UNO: 'UN', UNA: 'UN', UNK: 'UN' };
const ALPHA2 = new Map<string, string>([...ISO_3166.split(' ').map((p) => [p.slice(0, 3), p.slice(3)] as [string, string]), ...Object.entries(ICAO_EXTRA)]);

/** The two-letter country of an MRZ issuing-state code, if there is one. */
export function alpha2(issuingState: string): string | undefined {
  return ALPHA2.get(issuingState.replace(/<+$/, ''));
}
