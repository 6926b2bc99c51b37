// ISO/IEC 19794-2:2005 finger minutiae record format: the record header (24 bytes) is
// "FMR\0", " 20\0", record length (4), capture equipment (2), image width (2), height (2),
// x and y resolution in pixels/cm (2 + 2), number of finger views (1), reserved (1); the
// minutia angle is one byte in units of 360/256 degrees.
import { type AngleCodec, Cursor, type MinutiaeRecord, VERSION_20, FMR_MAGIC, readMagic, readRecordBody, writeView } from './minutiae-record.js';

const FORMAT = 'ISO/IEC 19794-2:2005';

const isoAngle: AngleCodec = {
  decode: (raw) => (raw * 360) / 256,
  encode: (deg) => Math.round((((deg % 360) + 360) % 360) * 256 / 360) % 256,
};

export function parseIso19794_2(bytes: Uint8Array): MinutiaeRecord {
  const c = new Cursor(bytes, FORMAT);
  readMagic(c);
  const length = c.u32('record length');
  if (length !== bytes.length) throw c.fail('record length disagrees with the data', { length, size: bytes.length });
  const { equipment, width, height, resolutionX, resolutionY, views } = readRecordBody(c, bytes.length, isoAngle);
  return { format: FORMAT, equipment, width, height, resolutionX, resolutionY, views };
}

export function buildIso19794_2(r: Omit<MinutiaeRecord, 'format'>): Uint8Array {
  if (r.views.length === 0 || r.views.length > 255) throw new RangeError('1..255 finger views');
  const body: number[] = [];
  for (const v of r.views) writeView(body, v, isoAngle);
  const total = 24 + body.length;
  const eq = ((r.equipment.compliance & 0x0f) << 12) | (r.equipment.id & 0x0fff);
  const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
  return Uint8Array.from([
    ...FMR_MAGIC,
    ...VERSION_20,
    (total >>> 24) & 0xff,
    (total >>> 16) & 0xff,
    (total >>> 8) & 0xff,
    total & 0xff,
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
