// The UART packet protocol of the R30x / ZFM optical fingerprint modules (R307, R503, R502,
// ZFM-20, AS608 and kin). Pure: bytes in, typed values out; no I/O.
//
// Facts used (no code copied): packet layout, PIDs, instruction and confirmation codes from
// the vendor's R307/R503 user manuals as mirrored in Adafruit-Fingerprint-Sensor-Library
// (Adafruit_Fingerprint.h/.cpp, BSD) and pyfingerprint (Constants.py); R503-only instructions
// (0x28..0x40) and codes 0x19..0x1D from R503 headers citing the R503 datasheet.
//
// Packet: EF 01 | address (4, big-endian) | PID (1) | length (2) | payload | checksum (2)
// where length = payload + 2 (it counts the checksum) and checksum = low 16 bits of the sum
// of the PID, both length bytes and every payload byte.
import { type ErrorCode, IdkError, type Messages } from '../../core/errors.js';

const START_CODE = 0xef01;
export const DEFAULT_ADDRESS = 0xffffffff;
export const DEFAULT_PASSWORD = 0;
export const DEFAULT_BAUD = 57600;

export const PID = { command: 0x01, data: 0x02, ack: 0x07, endData: 0x08 } as const;
type Pid = (typeof PID)[keyof typeof PID];

/** Instruction codes (the first payload byte of a command packet). */
export const INS = {
  genImg: 0x01,
  img2Tz: 0x02,
  match: 0x03,
  search: 0x04,
  regModel: 0x05,
  store: 0x06,
  loadChar: 0x07,
  upChar: 0x08,
  downChar: 0x09,
  upImage: 0x0a,
  downImage: 0x0b,
  deleteChar: 0x0c,
  empty: 0x0d,
  setSysPara: 0x0e,
  readSysPara: 0x0f,
  setPwd: 0x12,
  vfyPwd: 0x13,
  getRandomCode: 0x14,
  setAddr: 0x15,
  control: 0x17,
  writeNotepad: 0x18,
  readNotepad: 0x19,
  hiSpeedSearch: 0x1b,
  templateNum: 0x1d,
  readIndexTable: 0x1f,
  getImageEx: 0x28,
  cancel: 0x30,
  auraLedConfig: 0x35,
  checkSensor: 0x36,
  getAlgVer: 0x39,
  getFwVer: 0x3a,
  readProdInfo: 0x3c,
  softReset: 0x3d,
  handshake: 0x40,
  ledOn: 0x50,
  ledOff: 0x51,
} as const;
export type Instruction = (typeof INS)[keyof typeof INS];

/** Largest payload a well-formed packet carries: a 256-byte data packet (packet size code 3). */
const MAX_PAYLOAD = 256;
const HEADER = 9; // start(2) + address(4) + PID(1) + length(2)

export interface Packet {
  address: number;
  pid: Pid;
  payload: Uint8Array;
}

function fpError(code: ErrorCode, messages: Messages, detail?: Record<string, unknown>): IdkError {
  return new IdkError(code, messages, detail === undefined ? undefined : { detail });
}

/** A packet the sensor sent that breaks the framing rules (line noise, wrong baud rate, a foreign device). */
export function badPacket(why: string, detail?: Record<string, unknown>): IdkError {
  return fpError(
    'FP_BAD_PACKET',
    {
      vi: `Cảm biến vân tay gửi gói tin không hợp lệ (${why}): kiểm tra cáp và tốc độ baud.`,
      en: `The fingerprint sensor sent an invalid packet (${why}): check the cable and the baud rate.`,
    },
    { why, ...detail },
  );
}

export function checksum(pid: number, lengthField: number, payload: Uint8Array): number {
  let sum = pid + (lengthField >> 8) + (lengthField & 0xff);
  for (const b of payload) sum += b;
  return sum & 0xffff;
}

export function encodePacket(p: Packet): Uint8Array {
  if (p.payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${p.payload.length} bytes is too long`);
  if (!Number.isInteger(p.address) || p.address < 0 || p.address > 0xffffffff) throw new RangeError('address must be a 32-bit unsigned integer');
  const len = p.payload.length + 2;
  const out = new Uint8Array(HEADER + p.payload.length + 2);
  const v = new DataView(out.buffer);
  v.setUint16(0, START_CODE);
  v.setUint32(2, p.address);
  out[6] = p.pid;
  v.setUint16(7, len);
  out.set(p.payload, HEADER);
  v.setUint16(HEADER + p.payload.length, checksum(p.pid, len, p.payload));
  return out;
}

export function commandPacket(ins: Instruction, params: Uint8Array | number[] = [], address = DEFAULT_ADDRESS): Uint8Array {
  return encodePacket({ address, pid: PID.command, payload: Uint8Array.from([ins, ...params]) });
}

export function ackPacket(code: number, data: Uint8Array | number[] = [], address = DEFAULT_ADDRESS): Uint8Array {
  return encodePacket({ address, pid: PID.ack, payload: Uint8Array.from([code, ...data]) });
}

const PIDS = new Set<number>(Object.values(PID));

/**
 * Decodes exactly one packet. Throws FP_BAD_PACKET for anything else: short, wrong start code,
 * unknown PID, a length that disagrees with the bytes, or a wrong checksum.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < HEADER + 2) throw badPacket('too short', { length: bytes.length });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint16(0) !== START_CODE) throw badPacket('no EF01 start code');
  const pid = bytes[6]!;
  if (!PIDS.has(pid)) throw badPacket(`unknown packet type 0x${pid.toString(16)}`);
  const len = v.getUint16(7);
  if (len < 2) throw badPacket('length field below 2');
  if (len - 2 > MAX_PAYLOAD) throw badPacket('length field too large', { length: len });
  if (bytes.length !== HEADER + len) throw badPacket('length field disagrees with the packet size', { length: len, size: bytes.length });
  const payload = bytes.slice(HEADER, HEADER + len - 2);
  const sum = v.getUint16(HEADER + len - 2);
  if (sum !== checksum(pid, len, payload)) throw badPacket('checksum mismatch');
  return { address: v.getUint32(2), pid: pid as Pid, payload };
}

export type ReadEvent = { packet: Packet } | { error: IdkError };

/**
 * Frames a byte stream into packets, whatever the chunking. Bytes before a start code are
 * skipped (a sensor powering up prints a 0x55 handshake byte, line noise happens); a frame
 * that fails to decode is reported once and the scan resumes after its start code, so one
 * corrupt packet never wedges the stream.
 */
export class PacketReader {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): ReadEvent[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    this.buf = merged;
    const out: ReadEvent[] = [];
    for (;;) {
      const start = this.findStart();
      if (start < 0) {
        // Keep a trailing 0xEF: it may be the first half of the next start code.
        this.buf = this.buf.length > 0 && this.buf[this.buf.length - 1] === 0xef ? this.buf.slice(-1) : new Uint8Array(0);
        return out;
      }
      if (start > 0) this.buf = this.buf.slice(start);
      if (this.buf.length < HEADER) return out;
      const len = (this.buf[7]! << 8) | this.buf[8]!;
      if (len < 2 || len - 2 > MAX_PAYLOAD || !PIDS.has(this.buf[6]!)) {
        out.push({ error: len < 2 || len - 2 > MAX_PAYLOAD ? badPacket('length field out of range', { length: len }) : badPacket(`unknown packet type 0x${this.buf[6]!.toString(16)}`) });
        this.buf = this.buf.slice(2);
        continue;
      }
      if (this.buf.length < HEADER + len) return out;
      const frame = this.buf.slice(0, HEADER + len);
      try {
        out.push({ packet: decodePacket(frame) });
        this.buf = this.buf.slice(HEADER + len);
      } catch (e) {
        out.push({ error: e as IdkError });
        this.buf = this.buf.slice(2);
      }
    }
  }

  /** Bytes held while waiting for the rest of a packet. */
  pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = new Uint8Array(0);
  }

  private findStart(): number {
    for (let i = 0; i + 1 < this.buf.length; i++) if (this.buf[i] === 0xef && this.buf[i + 1] === 0x01) return i;
    return -1;
  }
}

/** Splits bytes into data packets of `size` bytes, the last one marked end-of-data (PID 0x08). */
export function dataPackets(data: Uint8Array, size: number, address = DEFAULT_ADDRESS): Uint8Array[] {
  if (![32, 64, 128, 256].includes(size)) throw new RangeError(`packet size ${size} is not 32, 64, 128 or 256`);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length || off === 0; off += size) {
    const last = off + size >= data.length;
    out.push(encodePacket({ address, pid: last ? PID.endData : PID.data, payload: data.subarray(off, off + size) }));
    if (last) break;
  }
  return out;
}

// ---- confirmation codes ---------------------------------------------------------------

interface CodeInfo {
  name: `FP_${string}`;
  vi: string;
  en: string;
  /** Sending the same command again may succeed (a transmission error, not a verdict). */
  retry?: boolean;
}

/** Confirmation codes (first byte of an ack payload), named as in the vendor manuals. */
export const CONFIRMATION: Readonly<Record<number, CodeInfo>> = {
  0x01: { name: 'FP_RECEIVE_ERROR', retry: true, vi: 'Cảm biến nhận gói tin bị lỗi: đang thử lại; nếu còn lỗi, kiểm tra cáp.', en: 'The sensor received a corrupt packet: retrying; if it persists, check the cable.' },
  0x02: { name: 'FP_NO_FINGER', vi: 'Chưa có ngón tay trên cảm biến: đặt ngón tay lên mặt kính.', en: 'No finger on the sensor: place the finger on the glass.' },
  0x03: { name: 'FP_IMAGE_FAIL', vi: 'Không chụp được ảnh vân tay: nhấc ngón tay lên và đặt lại.', en: 'The fingerprint image could not be taken: lift the finger and place it again.' },
  0x06: { name: 'FP_IMAGE_MESSY', vi: 'Ảnh vân tay bị nhòe: lau mặt kính và ngón tay, đặt lại ngón tay.', en: 'The fingerprint image is smudged: wipe the glass and the finger, then place it again.' },
  0x07: { name: 'FP_FEW_FEATURES', vi: 'Ảnh vân tay quá nhỏ hoặc thiếu đặc điểm: ấn cả đầu ngón tay lên giữa cảm biến.', en: 'Too small an area or too few features: press the whole fingertip on the centre of the sensor.' },
  0x08: { name: 'FP_NO_MATCH', vi: 'Vân tay không khớp.', en: 'The fingerprints do not match.' },
  0x09: { name: 'FP_NOT_FOUND', vi: 'Không tìm thấy vân tay trong thư viện của cảm biến.', en: 'The finger was not found in the sensor library.' },
  0x0a: { name: 'FP_ENROL_MISMATCH', vi: 'Hai lần chụp không cùng một ngón: đăng ký lại, dùng cùng một ngón tay.', en: 'The two captures are not the same finger: enrol again with the same finger.' },
  0x0b: { name: 'FP_BAD_LOCATION', vi: 'Vị trí mẫu vượt quá dung lượng thư viện của cảm biến.', en: 'The template position is beyond the sensor library.' },
  0x0c: { name: 'FP_TEMPLATE_READ_ERROR', vi: 'Không đọc được mẫu vân tay từ thư viện, hoặc mẫu không hợp lệ.', en: 'The template could not be read from the library, or it is invalid.' },
  0x0d: { name: 'FP_TEMPLATE_UPLOAD_ERROR', vi: 'Lỗi khi gửi mẫu vân tay từ cảm biến.', en: 'The sensor failed to send the template.' },
  0x0e: { name: 'FP_DATA_RECEIVE_ERROR', retry: true, vi: 'Cảm biến không nhận được các gói dữ liệu tiếp theo: đang thử lại.', en: 'The sensor did not receive the following data packets: retrying.' },
  0x0f: { name: 'FP_IMAGE_UPLOAD_ERROR', vi: 'Lỗi khi gửi ảnh vân tay từ cảm biến.', en: 'The sensor failed to send the image.' },
  0x10: { name: 'FP_DELETE_FAIL', vi: 'Không xóa được mẫu vân tay.', en: 'The template could not be deleted.' },
  0x11: { name: 'FP_CLEAR_FAIL', vi: 'Không xóa được thư viện vân tay.', en: 'The fingerprint library could not be cleared.' },
  0x13: { name: 'FP_WRONG_PASSWORD', vi: 'Mật khẩu cảm biến không đúng: kiểm tra cấu hình thiết bị.', en: 'Wrong sensor password: check the device settings.' },
  0x15: { name: 'FP_NO_VALID_IMAGE', vi: 'Bộ đệm không có ảnh vân tay hợp lệ: chụp lại.', en: 'No valid image in the buffer: capture again.' },
  0x18: { name: 'FP_FLASH_ERROR', vi: 'Lỗi ghi bộ nhớ flash của cảm biến: thay cảm biến nếu còn lặp lại.', en: 'The sensor failed to write its flash memory: replace the sensor if it recurs.' },
  0x19: { name: 'FP_UNDEFINED_ERROR', vi: 'Cảm biến báo lỗi không xác định.', en: 'The sensor reported an undefined error.' },
  0x1a: { name: 'FP_INVALID_REGISTER', vi: 'Số thanh ghi không hợp lệ.', en: 'Invalid register number.' },
  0x1b: { name: 'FP_BAD_REGISTER_CONFIG', vi: 'Nội dung cấu hình thanh ghi không đúng.', en: 'Incorrect register configuration.' },
  0x1c: { name: 'FP_BAD_NOTEPAD_PAGE', vi: 'Số trang notepad không hợp lệ.', en: 'Invalid notepad page number.' },
  0x1d: { name: 'FP_PORT_FAIL', vi: 'Cảm biến không điều khiển được cổng giao tiếp.', en: 'The sensor failed to operate its communication port.' },
  0x20: { name: 'FP_ADDRESS_CODE', vi: 'Sai địa chỉ module: kiểm tra cấu hình địa chỉ cảm biến.', en: 'Wrong module address: check the sensor address setting.' },
  0x21: { name: 'FP_PASSWORD_REQUIRED', vi: 'Cảm biến yêu cầu xác thực mật khẩu trước.', en: 'The sensor requires the password to be verified first.' },
  0x29: { name: 'FP_SENSOR_ABNORMAL', vi: 'Cảm biến báo hỏng phần cảm biến ảnh: thay cảm biến.', en: 'The sensor reports its imaging part is faulty: replace the sensor.' },
};

export function confirmationName(code: number): string {
  return code === 0 ? 'OK' : (CONFIRMATION[code]?.name ?? 'FP_UNKNOWN_CODE');
}

/** The error for a non-zero confirmation code; `ins` names the command for the log. */
export function confirmationError(code: number, ins?: number): IdkError {
  const info = CONFIRMATION[code];
  const hexCode = `0x${code.toString(16).padStart(2, '0')}`;
  const detail = { confirmation: code, ...(ins === undefined ? {} : { instruction: ins }) };
  if (info) return fpError(info.name, { vi: info.vi, en: info.en }, detail);
  return fpError('FP_UNKNOWN_CODE', { vi: `Cảm biến trả về mã lỗi không rõ ${hexCode}.`, en: `The sensor returned an unknown code ${hexCode}.` }, detail);
}

export function retryable(code: number): boolean {
  return CONFIRMATION[code]?.retry === true;
}

// ---- command parameters and ack payloads ----------------------------------------------

export const CHAR_BUFFER_1 = 1;
export const CHAR_BUFFER_2 = 2;

const u16be = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32be = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function checkU16(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${what} must be 0..65535`);
}

function checkBuffer(b: number): void {
  if (b !== CHAR_BUFFER_1 && b !== CHAR_BUFFER_2) throw new RangeError('char buffer must be 1 or 2');
}

/** Parameters of each command, encoded. */
export const params = {
  vfyPwd: (password: number) => u32be(password),
  setPwd: (password: number) => u32be(password),
  setAddr: (address: number) => u32be(address),
  img2Tz: (buffer: number) => (checkBuffer(buffer), [buffer]),
  store: (buffer: number, page: number) => (checkBuffer(buffer), checkU16(page, 'page'), [buffer, ...u16be(page)]),
  loadChar: (buffer: number, page: number) => (checkBuffer(buffer), checkU16(page, 'page'), [buffer, ...u16be(page)]),
  upChar: (buffer: number) => (checkBuffer(buffer), [buffer]),
  downChar: (buffer: number) => (checkBuffer(buffer), [buffer]),
  deleteChar: (page: number, count: number) => (checkU16(page, 'page'), checkU16(count, 'count'), [...u16be(page), ...u16be(count)]),
  search: (buffer: number, start: number, count: number) => (checkBuffer(buffer), checkU16(start, 'start'), checkU16(count, 'count'), [buffer, ...u16be(start), ...u16be(count)]),
  readIndexTable: (page: number) => [page & 0xff],
  setSysPara: (param: 4 | 5 | 6, value: number) => [param, value & 0xff],
  auraLedConfig: (led: LedConfig) => [led.mode, led.speed ?? 0x80, led.colour, led.count ?? 0],
};

/** AuraLedConfig (R503 family): ring LED mode and colour. */
export interface LedConfig {
  mode: (typeof LED_MODE)[keyof typeof LED_MODE];
  colour: (typeof LED_COLOUR)[keyof typeof LED_COLOUR];
  /** 0..255: breathing/flashing period. */
  speed?: number;
  /** Flash count, 0 = endless. */
  count?: number;
}
export const LED_MODE = { breathing: 1, flashing: 2, on: 3, off: 4, graduallyOn: 5, graduallyOff: 6 } as const;
export const LED_COLOUR = { red: 1, blue: 2, purple: 3 } as const;

function needs(data: Uint8Array, n: number, what: string): DataView {
  if (data.length < n) throw badPacket(`${what} answer too short`, { length: data.length, expected: n });
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** The answer to Search / HiSpeedSearch: page found and the sensor's match score. */
export function parseSearch(data: Uint8Array): { page: number; score: number } {
  const v = needs(data, 4, 'Search');
  return { page: v.getUint16(0), score: v.getUint16(2) };
}

/** The answer to Match: the sensor's score for char buffer 1 against char buffer 2. */
export function parseMatch(data: Uint8Array): { score: number } {
  return { score: needs(data, 2, 'Match').getUint16(0) };
}

export function parseTemplateNum(data: Uint8Array): number {
  return needs(data, 2, 'TempleteNum').getUint16(0);
}

export interface SystemParameters {
  status: number;
  systemId: number;
  /** Templates the library holds. */
  capacity: number;
  /** 1..5: the sensor's own match threshold level. */
  securityLevel: number;
  address: number;
  /** Bytes per data packet: 32, 64, 128 or 256. */
  packetSize: number;
  baudRate: number;
}

const PACKET_SIZES = [32, 64, 128, 256] as const;

export function parseSysPara(data: Uint8Array): SystemParameters {
  const v = needs(data, 16, 'ReadSysPara');
  const sizeCode = v.getUint16(12);
  const size = PACKET_SIZES[sizeCode];
  if (size === undefined) throw badPacket('packet size code out of range', { code: sizeCode });
  const baudN = v.getUint16(14);
  if (baudN < 1 || baudN > 12) throw badPacket('baud rate multiplier out of range', { n: baudN });
  return { status: v.getUint16(0), systemId: v.getUint16(2), capacity: v.getUint16(4), securityLevel: v.getUint16(6), address: v.getUint32(8), packetSize: size, baudRate: baudN * 9600 };
}

export function buildSysPara(p: SystemParameters): Uint8Array {
  const code = PACKET_SIZES.indexOf(p.packetSize as (typeof PACKET_SIZES)[number]);
  if (code < 0) throw new RangeError('packet size must be 32, 64, 128 or 256');
  return Uint8Array.from([...u16be(p.status), ...u16be(p.systemId), ...u16be(p.capacity), ...u16be(p.securityLevel), ...u32be(p.address), ...u16be(code), ...u16be(p.baudRate / 9600)]);
}

/** ReadIndexTable: 32 bytes, one bit per page (bit 0 of byte 0 = first page of the table). */
export function parseIndexTable(data: Uint8Array, tablePage: number): number[] {
  needs(data, 32, 'ReadIndexTable');
  const used: number[] = [];
  for (let i = 0; i < 32; i++) for (let bit = 0; bit < 8; bit++) if ((data[i]! >> bit) & 1) used.push(tablePage * 256 + i * 8 + bit);
  return used;
}

/** Wire bytes of one packet with a payload of n bytes. */
export function packetBytes(payloadLength: number): number {
  return HEADER + payloadLength + 2;
}
