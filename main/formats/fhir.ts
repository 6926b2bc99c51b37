// A read as an HL7 FHIR R4 `Patient` (https://hl7.org/fhir/R4/patient.html), for a hospital's
// HIS: identifiers, name with its diacritics, birth date, gender, residence, nationality and
// the parents as contacts. The mapping table is in docs/integration.md; test/unit/fhir.test.ts
// validates the output with the `fhir` package's R4 validator.
//
// Vietnam has published no FHIR naming system for the CCCD number (as of this writing), so
// the identifier systems below are stated by this project and documented; a site that has
// its own can map them on its side.
import type { ReadReport } from '../verify/report.js';

/** Our stated naming systems (docs/integration.md). */
export const FHIR_SYSTEMS = {
  cccd: 'https://idkiosk.vn/fhir/sid/cccd',
  cmnd: 'https://idkiosk.vn/fhir/sid/cmnd',
  /** + '/' + ICAO issuing state, e.g. …/passport/VNM. */
  passport: 'https://idkiosk.vn/fhir/sid/passport',
  ethnicity: 'https://idkiosk.vn/fhir/StructureDefinition/ethnicity',
  placeOfOrigin: 'https://idkiosk.vn/fhir/StructureDefinition/place-of-origin',
} as const;

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const V3_ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

type Coding = { system: string; code: string; display?: string };
type CodeableConcept = { coding?: Coding[]; text?: string };
type Extension = { url: string; valueString?: string; valueCodeableConcept?: CodeableConcept; extension?: Extension[] };

interface FhirPatient {
  resourceType: 'Patient';
  meta: { profile?: string[]; tag: Coding[] };
  extension?: Extension[];
  identifier: Array<{ use: 'official' | 'old'; type: CodeableConcept; system: string; value: string; assigner?: { display: string } }>;
  active: true;
  name: Array<{ use: 'official'; text: string; family?: string; given?: string[] }>;
  gender?: 'male' | 'female' | 'other' | 'unknown';
  birthDate?: string;
  address?: Array<{ use: 'home'; type: 'physical'; text: string; country: string }>;
  contact?: Array<{ relationship: CodeableConcept[]; name: { text: string } }>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Vietnamese names are family name first: "Lê Thị Mẫu" → family "Lê", given "Thị Mẫu" (kept as one string, as written). */
function splitVietnamese(full: string): { family?: string; given?: string[] } {
  const words = full.trim().split(/\s+/);
  if (words.length < 2) return { given: [full.trim()] };
  return { family: words[0]!, given: [words.slice(1).join(' ')] };
}

function gender(report: ReadReport): FhirPatient['gender'] {
  const vn = report.vn?.sex?.normalize('NFC');
  if (vn === 'Nam') return 'male';
  if (vn === 'Nữ') return 'female';
  const s = report.document.sex;
  return s === 'M' ? 'male' : s === 'F' ? 'female' : 'unknown';
}

/** ICAO 3-letter state → ISO 3166-1 alpha-2 for the few a counter in Vietnam meets most; else the ICAO code as text. */
const ICAO_TO_ISO: Record<string, string> = { VNM: 'VN', KHM: 'KH', LAO: 'LA', CHN: 'CN', THA: 'TH', KOR: 'KR', JPN: 'JP', USA: 'US', FRA: 'FR', AUS: 'AU', GBR: 'GB', D: 'DE', SGP: 'SG', MYS: 'MY', PHL: 'PH', IDN: 'ID', TWN: 'TW', RUS: 'RU' };

export function patientFromReport(report: ReadReport): FhirPatient {
  const vn = report.vn;
  const doc = report.document;
  const type = (code: string, display: string): CodeableConcept => ({ coding: [{ system: V2_0203, code, display }] });
  const identifier: FhirPatient['identifier'] = [];
  if (vn?.idNumber) identifier.push({ use: 'official', type: type('NI', 'National unique individual identifier'), system: FHIR_SYSTEMS.cccd, value: vn.idNumber, assigner: { display: 'Bộ Công an (Ministry of Public Security)' } });
  if (vn?.oldIdNumber) identifier.push({ use: 'old', type: type('NI', 'National unique individual identifier'), system: FHIR_SYSTEMS.cmnd, value: vn.oldIdNumber });
  const state = doc.issuingState.replace(/</g, '');
  // A passport (or a foreign ID card) is known by its document number within its issuing state.
  if (!vn) identifier.push({ use: 'official', type: doc.documentType.startsWith('P') ? type('PPN', 'Passport number') : type('NI', 'National unique individual identifier'), system: `${FHIR_SYSTEMS.passport}/${state}`, value: doc.documentNumber });
  const fullName = vn?.fullName ?? [doc.givenNames, doc.surname].filter(Boolean).join(' ');
  const name = vn?.fullName
    ? { use: 'official' as const, text: vn.fullName, ...splitVietnamese(vn.fullName) }
    : { use: 'official' as const, text: fullName, ...(doc.surname ? { family: doc.surname } : {}), ...(doc.givenNames ? { given: doc.givenNames.split(/\s+/) } : {}) };
  const birth = vn?.dateOfBirth && ISO_DATE.test(vn.dateOfBirth) ? vn.dateOfBirth : ISO_DATE.test(doc.dateOfBirth) ? doc.dateOfBirth : undefined;
  const extension: Extension[] = [];
  const nationality = ICAO_TO_ISO[doc.nationality.replace(/</g, '')];
  if (nationality) {
    extension.push({ url: 'http://hl7.org/fhir/StructureDefinition/patient-nationality', extension: [{ url: 'code', valueCodeableConcept: { coding: [{ system: 'urn:iso:std:iso:3166', code: nationality }] } }] });
  }
  if (vn?.religion) extension.push({ url: 'http://hl7.org/fhir/StructureDefinition/patient-religion', valueCodeableConcept: { text: vn.religion } });
  if (vn?.ethnicity) extension.push({ url: FHIR_SYSTEMS.ethnicity, valueString: vn.ethnicity });
  if (vn?.placeOfOrigin) extension.push({ url: FHIR_SYSTEMS.placeOfOrigin, valueString: vn.placeOfOrigin });
  const contact: NonNullable<FhirPatient['contact']> = [];
  const relative = (code: string, display: string, who: string | null | undefined): void => {
    if (who) contact.push({ relationship: [{ coding: [{ system: V3_ROLE, code, display }], text: display }], name: { text: who } });
  };
  relative('FTH', 'father', vn?.fatherName);
  relative('MTH', 'mother', vn?.motherName);
  relative('SPS', 'spouse', vn?.spouseName);
  return {
    resourceType: 'Patient',
    // Where the data came from: the chip, read by idkiosk (not typed by a person).
    meta: { tag: [{ system: 'https://idkiosk.vn/fhir/CodeSystem/source', code: 'chip', display: 'Read from the document chip (ICAO 9303)' }] },
    ...(extension.length ? { extension } : {}),
    identifier,
    active: true,
    name: [name],
    gender: gender(report),
    ...(birth ? { birthDate: birth } : {}),
    ...(vn?.placeOfResidence ? { address: [{ use: 'home' as const, type: 'physical' as const, text: vn.placeOfResidence, country: 'VN' }] } : {}),
    ...(contact.length ? { contact } : {}),
  };
}
