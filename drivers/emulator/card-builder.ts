// Makes a card image from a fictitious person's data and a test PKI: the same bytes a
// personalisation bureau would write, built with the LDS builders the reader parses with.
import { webcrypto } from 'node:crypto';
import { curveByParameterId } from '../emrtd/curves.js';
import { IdkError } from '../../core/errors.js';
import { buildAtrInfo } from '../emrtd/atr-info.js';
import { buildDg1, cccdOptionalData, mrzNameComponent } from '../emrtd/dg1.js';
import { buildDg11 } from '../emrtd/dg11.js';
import { buildDg12 } from '../emrtd/dg12.js';
import { buildDg13, type Dg13 } from '../emrtd/dg13.js';
import { buildDg15 } from '../emrtd/dg15.js';
import { buildDg2 } from '../emrtd/dg2.js';
import { buildEfCom } from '../emrtd/ef-com.js';
import { CA, ID_AA, PACE, STANDARD_DOMAIN_PARAMETERS, buildCardAccess, buildDg14, ecSubjectPublicKeyInfo } from '../emrtd/security-infos.js';
import { buildSod } from '../emrtd/sod.js';
import { type CardImage, type ChipProfile, DEFAULT_PROFILE } from './card-image.js';
import { syntheticFace } from './face-art.js';
import { type DocumentSigner, generateAaKeyPair } from './test-pki.js';

/** A fictitious person and document (`card build --person FILE.json`). Dates are ISO 8601. */
export interface Person {
  profile: 'cccd' | 'passport';
  fullName: string;
  dateOfBirth: string;
  sex: 'M' | 'F';
  dateOfExpiry: string;
  /** CCCD: the 12-digit personal ID number. */
  idNumber?: string;
  oldIdNumber?: string;
  /** Passport: its number; CCCD: derived (last 9 digits of the ID number). */
  documentNumber?: string;
  /** MRZ name parts; by default the first word of fullName is the surname. */
  surname?: string;
  givenNames?: string;
  issuingState?: string;
  nationality?: string;
  ethnicity?: string;
  religion?: string;
  placeOfOrigin?: string;
  placeOfResidence?: string;
  personalIdentification?: string;
  dateOfIssue?: string;
  fatherName?: string;
  motherName?: string;
  spouseName?: string;
  placeOfBirth?: string;
  issuingAuthority?: string;
  faceSeed?: number;
  /** Card Access Number; a CCCD's is the last 6 digits of the ID number. */
  can?: string;
  chip?: Partial<ChipProfile>;
  /** PACE offered in EF.CardAccess: standard domain parameter id (13 = brainpoolP256r1). Null: BAC only. */
  paceParameterId?: number | null;
  /** PACE protocol OID offered (default id-PACE-ECDH-GM-AES-CBC-CMAC-128, as the CCCD). */
  paceProtocol?: string;
}

function badPerson(why: string): IdkError {
  return new IdkError('BAD_PERSON', { vi: `Dữ liệu người không hợp lệ: ${why}.`, en: `Invalid person data: ${why}.` });
}

function splitName(p: Person): { surname: string; givenNames: string } {
  if (p.surname !== undefined) return { surname: p.surname, givenNames: p.givenNames ?? '' };
  const words = p.fullName.trim().split(/\s+/).map(mrzNameComponent);
  return { surname: words[0] ?? '', givenNames: words.slice(1).join(' ') };
}

function validatePerson(p: Person): void {
  if (p.profile !== 'cccd' && p.profile !== 'passport') throw badPerson('profile must be "cccd" or "passport"');
  for (const k of ['dateOfBirth', 'dateOfExpiry'] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(p[k])) throw badPerson(`${k} must be YYYY-MM-DD`);
  }
  if (p.profile === 'cccd' && !/^\d{12}$/.test(p.idNumber ?? '')) throw badPerson('a CCCD needs a 12-digit idNumber');
  if (p.profile === 'passport' && !p.documentNumber) throw badPerson('a passport needs documentNumber');
  if (!p.fullName) throw badPerson('fullName is empty');
}

/** A portrait to put in DG2 instead of the synthetic face (tests of the face match: a real-looking chip photo). */
export interface BuildOptions {
  portrait?: { format: 'jpeg' | 'jpeg2000'; width: number; height: number; image: Uint8Array };
}

export async function buildCard(person: Person, signer: DocumentSigner, options: BuildOptions = {}): Promise<CardImage> {
  validatePerson(person);
  const cccd = person.profile === 'cccd';
  const { surname, givenNames } = splitName(person);
  const documentNumber = cccd ? person.idNumber!.slice(3) : person.documentNumber!;
  const files = new Map<string, Uint8Array>();
  files.set(
    'DG1',
    buildDg1({
      format: cccd ? 'TD1' : 'TD3',
      documentType: cccd ? 'ID' : 'P',
      issuingState: person.issuingState ?? 'VNM',
      documentNumber,
      surname,
      givenNames,
      nationality: person.nationality ?? 'VNM',
      dateOfBirth: person.dateOfBirth,
      sex: person.sex,
      dateOfExpiry: person.dateOfExpiry,
      optionalData: cccd ? cccdOptionalData(person.idNumber!) : '',
    }),
  );
  const face = options.portrait ?? ((f) => ({ format: 'jpeg' as const, width: f.width, height: f.height, image: f.jpeg }))(syntheticFace(person.faceSeed ?? 1));
  files.set('DG2', buildDg2([face]));
  if (cccd) {
    const dg13: Dg13 = {
      idNumber: person.idNumber!,
      fullName: person.fullName.normalize('NFC'),
      dateOfBirth: person.dateOfBirth,
      sex: person.sex === 'M' ? 'Nam' : 'Nữ',
      nationality: 'Việt Nam',
      ethnicity: person.ethnicity ?? 'Kinh',
      religion: person.religion ?? 'Không',
      placeOfOrigin: person.placeOfOrigin ?? null,
      placeOfResidence: person.placeOfResidence ?? null,
      personalIdentification: person.personalIdentification ?? null,
      dateOfIssue: person.dateOfIssue ?? null,
      dateOfExpiry: person.dateOfExpiry,
      fatherName: person.fatherName ?? null,
      motherName: person.motherName ?? null,
      spouseName: person.spouseName ?? null,
      oldIdNumber: person.oldIdNumber ?? null,
    };
    files.set('DG13', buildDg13(dg13));
  } else {
    files.set('DG11', buildDg11({ fullName: `${surname}<<${givenNames.replace(/ /g, '<')}`, placeOfBirth: person.placeOfBirth }));
    files.set('DG12', buildDg12({ issuingAuthority: person.issuingAuthority, dateOfIssue: person.dateOfIssue }));
  }

  // Chip Authentication key (DG14) on the PACE curve, Active Authentication key (DG15).
  const paceId = person.paceParameterId === undefined ? (cccd ? 13 : 12) : person.paceParameterId;
  // The chip-authentication key on the PACE curve, as CCCD chips do.
  const caCurve = curveByParameterId(paceId ?? 12) ?? curveByParameterId(12)!;
  const caPrivate = caCurve.ecdsa.utils.randomSecretKey();
  const caPublic = caCurve.ecdsa.getPublicKey(caPrivate, false);
  const aa = await generateAaKeyPair('ecdsa-p256');
  files.set(
    'DG14',
    buildDg14([
      { kind: 'chip-authentication', protocol: CA.ECDH_AES_CBC_CMAC_128, version: 1 },
      {
        kind: 'chip-authentication-public-key',
        protocol: '0.4.0.127.0.7.2.2.1.2',
        subjectPublicKeyInfo: ecSubjectPublicKeyInfo(caCurve.oid, caPublic),
        algorithm: '1.2.840.10045.2.1',
        curveOid: caCurve.oid,
        publicKey: caPublic,
      },
      // ecdsa-with-SHA256 (RFC 5758): an ECDSA AA key must name its hash here (Part 11 §9.2.8).
      { kind: 'active-authentication', protocol: ID_AA, version: 1, signatureAlgorithm: '1.2.840.10045.4.3.2' },
    ]),
  );
  files.set('DG15', buildDg15(aa.spki));

  const dgs = [...files.keys()].map((k) => Number(k.slice(2))).sort((a, b) => a - b);
  files.set('EF.COM', buildEfCom(dgs));
  const hashed = new Map<number, Uint8Array>(dgs.map((n) => [n, files.get(`DG${n}`)!]));
  files.set('EF.SOD', await buildSod({ hashAlgorithm: 'sha256', dataGroups: hashed, signer }));

  if (paceId !== null) {
    if (!STANDARD_DOMAIN_PARAMETERS.some((d) => d.id === paceId)) throw badPerson(`unknown PACE parameter id ${paceId}`);
    files.set('EF.CardAccess', buildCardAccess([{ kind: 'pace', protocol: person.paceProtocol ?? PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: paceId }]));
  }
  const profile: ChipProfile = { ...DEFAULT_PROFILE, ...(cccd ? { refuseMfSelect: true } : {}), ...person.chip };
  if (profile.extendedLength) {
    files.set('EF.ATR/INFO', buildAtrInfo({ extendedLength: { maxCommand: 1024, maxResponse: profile.maxResponse } }));
  }
  const can = person.can ?? (cccd ? person.idNumber!.slice(-6) : String(webcrypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, '0'));
  return {
    files,
    secrets: { can, activeAuthenticationKey: aa.pkcs8, chipAuthenticationKey: caPrivate },
    profile,
  };
}
