// DG2, the encoded face (Doc 9303 Part 10 §4.7.2): a CBEFF biometric information
// group template (7F61, count 02) holding one biometric information template (7F60)
// per face, each with a biometric header template (A1) and a biometric data block
// (5F2E, or 7F2E) carrying an ISO/IEC 19794-5:2005 face record.
//
// Face record (ISO/IEC 19794-5:2005 §5.4-5.7), all integers big-endian:
//   header  14: 'FAC\0', version '010\0', record length (4), number of faces (2)
//   per face: facial information 20: block length (4), feature points (2), gender,
//             eye colour, hair colour (1 each), feature mask (3), expression (2),
//             pose angles (3), pose uncertainty (3)
//             feature points 8 each
//             image information 12: face image type, image data type (0 JPEG, 1 JPEG 2000),
//             width (2), height (2), colour space, source type (1 each), device type (2), quality (2)
//             image data
import { malformed } from '../../core/errors.js';
import { type Tlv, children, decodeExact, encode, find } from '../apdu/tlv.js';
import { concat } from '../../core/bytes.js';
import { invalidInput } from './ef-com.js';
import { dataGroup } from './files.js';

const TAG_BIT_GROUP = 0x7f61;
const TAG_BIT = 0x7f60;
const TAG_BHT = 0xa1;
const TAG_BDB = 0x5f2e;
const TAG_BDB_CONSTRUCTED = 0x7f2e;
const TAG_COUNT = 0x02;

type FaceImageFormat = 'jpeg' | 'jpeg2000';

interface FaceImage {
  format: FaceImageFormat;
  width: number;
  height: number;
  /** The encoded image, a view into the DG2 bytes. */
  image: Uint8Array;
}

interface Dg2 {
  faces: FaceImage[];
}

const FAC = [0x46, 0x41, 0x43, 0x00];
const VERSION_010 = [0x30, 0x31, 0x30, 0x00];
const HEADER_LEN = 14;
const FACE_INFO_LEN = 20;
const FEATURE_POINT_LEN = 8;
const IMAGE_INFO_LEN = 12;

export function parseDg2(bytes: Uint8Array): Dg2 {
  const group = find(children(decodeExact(bytes, dataGroup(2).tag)), TAG_BIT_GROUP);
  if (!group) throw malformed('DG2 biometric information group template missing');
  const items = children(group);
  const count = items.find((t) => t.tag === TAG_COUNT);
  if (!count || count.value.length !== 1) throw malformed('DG2 biometric template count missing');
  const templates = items.filter((t) => t.tag === TAG_BIT);
  if (templates.length !== count.value[0]) {
    throw malformed('DG2 template count disagrees with the templates present', {
      count: count.value[0],
      found: templates.length,
    });
  }
  const faces: FaceImage[] = [];
  for (const bit of templates) faces.push(...parseFaceRecord(bdbOf(bit)));
  return { faces };
}

function bdbOf(bit: Tlv): Uint8Array {
  const parts = children(bit);
  if (!find(parts, TAG_BHT)) throw malformed('DG2 biometric header template missing');
  const bdb = find(parts, TAG_BDB) ?? find(parts, TAG_BDB_CONSTRUCTED);
  if (!bdb) throw malformed('DG2 biometric data block missing');
  return bdb.value;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
}

function startsWith(b: Uint8Array, o: number, sig: number[]): boolean {
  return sig.every((x, i) => b[o + i] === x);
}

/** Parses an ISO/IEC 19794-5 record; every declared length must match the bytes exactly. */
function parseFaceRecord(rec: Uint8Array): FaceImage[] {
  if (rec.length < HEADER_LEN || !startsWith(rec, 0, FAC)) throw malformed('face record header missing');
  if (!startsWith(rec, 4, VERSION_010)) throw malformed('face record version is not 010');
  if (u32(rec, 8) !== rec.length) {
    throw malformed('face record length disagrees with the data block', { declared: u32(rec, 8), actual: rec.length });
  }
  const n = u16(rec, 12);
  if (n === 0) throw malformed('face record holds no face');
  const faces: FaceImage[] = [];
  let p = HEADER_LEN;
  for (let i = 0; i < n; i++) {
    if (p + FACE_INFO_LEN > rec.length) throw malformed('facial information truncated');
    const blockLen = u32(rec, p);
    const points = u16(rec, p + 4);
    const fixedLen = FACE_INFO_LEN + points * FEATURE_POINT_LEN + IMAGE_INFO_LEN;
    if (blockLen < fixedLen || p + blockLen > rec.length) throw malformed('facial record block length invalid');
    const info = p + FACE_INFO_LEN + points * FEATURE_POINT_LEN;
    const dataType = rec[info + 1]!;
    const width = u16(rec, info + 2);
    const height = u16(rec, info + 4);
    const image = rec.subarray(info + IMAGE_INFO_LEN, p + blockLen);
    faces.push({ format: imageFormat(image, dataType), width, height, image });
    p += blockLen;
  }
  if (p !== rec.length) throw malformed('trailing bytes after the last face');
  return faces;
}

/** The bytes decide where they can (FFD8 JPEG, JP2 box, J2K codestream); else the declared type. */
function imageFormat(image: Uint8Array, dataType: number): FaceImageFormat {
  if (startsWith(image, 0, [0xff, 0xd8])) return 'jpeg';
  if (startsWith(image, 0, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return 'jpeg2000';
  if (startsWith(image, 0, [0xff, 0x4f, 0xff, 0x51])) return 'jpeg2000';
  if (dataType === 0) return 'jpeg';
  if (dataType === 1) return 'jpeg2000';
  throw malformed('face image is neither JPEG nor JPEG 2000', { dataType });
}

function be(n: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = width - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/** One face block: no feature points, full-frontal image, attributes unspecified. */
function faceBlock(face: Omit<FaceImage, 'image'> & { image: Uint8Array }): Uint8Array {
  if (!Number.isInteger(face.width) || !Number.isInteger(face.height) || face.width <= 0 || face.height <= 0 || face.width > 0xffff || face.height > 0xffff) {
    throw invalidInput('face width and height must be 1..65535');
  }
  const blockLen = FACE_INFO_LEN + IMAGE_INFO_LEN + face.image.length;
  const info = concat(
    be(blockLen, 4),
    be(0, 2), // feature points
    Uint8Array.of(0, 0, 0), // gender, eye colour, hair colour: unspecified
    be(0, 3), // feature mask
    be(0, 2), // expression
    be(0, 3), // pose angles
    be(0, 3), // pose angle uncertainty
  );
  const imageInfo = concat(
    Uint8Array.of(0x01, face.format === 'jpeg' ? 0 : 1), // full frontal; data type
    be(face.width, 2),
    be(face.height, 2),
    Uint8Array.of(0x01, 0x02), // colour space 24-bit RGB; source: digital still camera
    be(0, 2), // device type
    be(0, 2), // quality unspecified
  );
  return concat(info, imageInfo, face.image);
}

export function buildDg2(faces: FaceImage[]): Uint8Array {
  if (faces.length === 0 || faces.length > 255) throw invalidInput('DG2 needs 1..255 faces');
  const templates = faces.map((face) => {
    const block = faceBlock(face);
    const record = concat(Uint8Array.from(FAC), Uint8Array.from(VERSION_010), be(HEADER_LEN + block.length, 4), be(1, 2), block);
    // Biometric header template (Doc 9303 Part 10 §4.7.2.1): ICAO header version 1.1,
    // biometric type 02 (face), format owner 0101 (ISO/IEC JTC 1/SC 37), format type 0008 (face).
    const bht = encode(
      TAG_BHT,
      encode(0x80, Uint8Array.of(0x01, 0x01)),
      encode(0x81, Uint8Array.of(0x02)),
      encode(0x87, Uint8Array.of(0x01, 0x01)),
      encode(0x88, Uint8Array.of(0x00, 0x08)),
    );
    return encode(TAG_BIT, bht, encode(TAG_BDB, record));
  });
  return encode(dataGroup(2).tag!, encode(TAG_BIT_GROUP, encode(TAG_COUNT, Uint8Array.of(faces.length)), ...templates));
}
