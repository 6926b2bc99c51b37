// ANSI INCITS 378-2004 finger minutiae format: the record header is "FMR\0", " 20\0", record
// length (2 bytes, or 0x0000 and 4 bytes above 65535), CBEFF product identifier (4), capture
// equipment (2), image width (2), height (2), x and y resolution in pixels/cm (2 + 2), number
// of finger views (1), reserved (1); the minutia angle is in units of 2 degrees (0..179).
import { type AngleCodec, Cursor, type MinutiaeRecord, VERSION_20, FMR_MAGIC, readMagic, readRecordBody, writeView } from './minutiae-record.js';

const FORMAT = 'ANSI INCITS 378-2004';

const ansiAngle: AngleCodec = {
  decode: (raw, c) => {
    if (raw > 179) throw c.fail('minutia angle above 179 (units of 2 degrees)', { angle: raw });
    return raw * 2;
  },
  encode: (deg) => Math.round((((deg % 360) + 360) % 360) / 2) % 180,
};

export function parseAnsi378(bytes: Uint8Array): MinutiaeRecord {
  const c = new Cursor(bytes, FORMAT);
  readMagic(c);
  let length = c.u16('record length');
  if (length === 0) {
    length = c.u32('long record length');
    if (length <= 0xffff) throw c.fail('long length form used for a short record', { length });
  }
  if (length !== bytes.length) throw c.fail('record length disagrees with the data', { length, size: bytes.length });
  const cbeffProductId = c.u32('CBEFF product identifier');
  const { equipment, width, height, resolutionX, resolutionY, views } = readRecordBody(c, bytes.length, ansiAngle);
  return { format: FORMAT, cbeffProductId, equipment, width, height, resolutionX, resolutionY, views };
}

export function buildAnsi378(r: Omit<MinutiaeRecord, 'format'>): Uint8Array {
  if (r.views.length === 0 || r.views.length > 255) throw new RangeError('1..255 finger views');
  const body: number[] = [];
  for (const v of r.views) writeView(body, v, ansiAngle);
  const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
  const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const short = 26 + body.length;
  const lengthField = short <= 0xffff ? u16(short) : [0, 0, ...u32(short + 4)];
  const eq = ((r.equipment.compliance & 0x0f) << 12) | (r.equipment.id & 0x0fff);
  return Uint8Array.from([
    ...FMR_MAGIC,
    ...VERSION_20,
    ...lengthField,
    ...u32(r.cbeffProductId ?? 0),
    ...u16(eq),
    ...u16(r.width),
    ...u16(r.height),
    ...u16(r.resolutionX),
    ...u16(r.resolutionY),
    r.views.length,
    0,
    ...body,
  ]);
}
