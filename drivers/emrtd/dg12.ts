// DG12, additional document details (Doc 9303 Part 10 §4.7.12): tag list (5C),
// optional fields, other persons in an A0 template (02 count, 5F1A each).
import { type FieldSpec, type ListSpec, type UnknownField, buildTaggedFile, parseTaggedFile } from './dg11.js';
import { dataGroup } from './files.js';

interface Dg12 {
  /** 5F19. */
  issuingAuthority?: string;
  /** 5F26, ISO 8601 when the chip wrote YYYYMMDD, else the chip's text. */
  dateOfIssue?: string;
  /** A0 / 5F1A, names of other persons on the document. */
  otherPersons?: string[];
  /** 5F1B. */
  endorsements?: string;
  /** 5F1C. */
  taxExitRequirements?: string;
  /** 5F1D, image of the front of the document. */
  imageOfFront?: Uint8Array;
  /** 5F1E, image of the rear of the document. */
  imageOfRear?: Uint8Array;
  /** 5F55, yyyymmddhhmmss as the chip wrote it. */
  personalizationTime?: string;
  /** 5F56. */
  personalizationDeviceSerial?: string;
  /** Fields this reader does not know, kept so a rebuilt file loses nothing. */
  unknown: UnknownField[];
}

type Dg12Key = Exclude<keyof Dg12, 'unknown'>;

const DG12_FIELDS: FieldSpec<Dg12Key>[] = [
  { tag: 0x5f19, key: 'issuingAuthority', kind: 'text' },
  { tag: 0x5f26, key: 'dateOfIssue', kind: 'date' },
  { tag: 0x5f1b, key: 'endorsements', kind: 'text' },
  { tag: 0x5f1c, key: 'taxExitRequirements', kind: 'text' },
  { tag: 0x5f1d, key: 'imageOfFront', kind: 'binary' },
  { tag: 0x5f1e, key: 'imageOfRear', kind: 'binary' },
  { tag: 0x5f55, key: 'personalizationTime', kind: 'text' },
  { tag: 0x5f56, key: 'personalizationDeviceSerial', kind: 'text' },
];
const DG12_LIST: ListSpec<Dg12Key> = { key: 'otherPersons', itemTag: 0x5f1a };

export function parseDg12(bytes: Uint8Array): Dg12 {
  return parseTaggedFile(bytes, dataGroup(12).tag!, 'DG12', DG12_FIELDS, DG12_LIST) as unknown as Dg12;
}

export function buildDg12(d: Partial<Dg12>): Uint8Array {
  return buildTaggedFile(dataGroup(12).tag!, d, DG12_FIELDS, DG12_LIST);
}
