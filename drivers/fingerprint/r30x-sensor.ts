// The R30x/ZFM sensor over a serial port: one command at a time, a timeout on every wait,
// retries where the protocol makes a repeat harmless, and the high-level steps a counter
// needs (capture, enrol, search, 1:1 match, template transfer, LED). The protocol itself is in
// r30x-protocol.ts; this file is the adapter that owns the port.
import { existsSync } from 'node:fs';
import { IdkError } from '../../core/errors.js';
import {
  CHAR_BUFFER_1,
  CHAR_BUFFER_2,
  DEFAULT_ADDRESS,
  DEFAULT_BAUD,
  DEFAULT_PASSWORD,
  INS,
  type Instruction,
  type LedConfig,
  type Packet,
  PacketReader,
  PID,
  type ReadEvent,
  type SystemParameters,
  badPacket,
  commandPacket,
  confirmationError,
  dataPackets,
  params,
  parseIndexTable,
  parseMatch,
  parseSearch,
  parseSysPara,
  parseTemplateNum,
  retryable,
} from './r30x-protocol.js';
import { concat } from '../../core/bytes.js';

/** The two ends of a byte link; serialport in production, anything in a test of the logic. */
export interface ByteLink {
  write(bytes: Uint8Array): Promise<void>;
  onData(f: (chunk: Uint8Array) => void): void;
  /** Called once when the link is gone (unplugged, closed). */
  onClose(f: (cause?: unknown) => void): void;
  close(): Promise<void>;
}

interface SensorOptions {
  /** Sensor address (factory default 0xFFFFFFFF). */
  address?: number;
  /** Handshake password (factory default 0). */
  password?: number;
  /** How long to wait for each answer packet (ms). */
  timeoutMs?: number;
  /** Extra attempts for a command whose repeat is harmless. */
  retries?: number;
}

interface OpenOptions extends SensorOptions {
  path: string;
  baudRate?: number;
}

interface Ack {
  code: number;
  data: Uint8Array;
}

export interface CaptureOptions {
  /** How long to wait for a finger (ms). */
  waitMs?: number;
  /** Pause between image attempts while no finger is there (ms). */
  pollMs?: number;
}

interface MatchResult {
  matched: boolean;
  /** The sensor's own score (vendor scale; R307's sensor threshold is about 50 at level 3). */
  score: number;
}

const NO_RETRY = new Set<number>([INS.setPwd, INS.setAddr, INS.setSysPara, INS.softReset, INS.cancel, INS.downChar, INS.upChar, INS.upImage, INS.downImage]);
/** Longest template accepted from UpChar: real modules send 512 bytes (R307) or 1536 (R503 extended); more is a runaway stream. */
const MAX_TEMPLATE = 4096;

function timeoutError(ins: number, ms: number): IdkError {
  return new IdkError(
    'FP_TIMEOUT',
    {
      vi: `Cảm biến vân tay không trả lời sau ${ms} ms: kiểm tra cáp, nguồn và tốc độ baud.`,
      en: `The fingerprint sensor did not answer within ${ms} ms: check the cable, power and baud rate.`,
    },
    { detail: { instruction: ins, ms } },
  );
}

function unplugged(cause?: unknown): IdkError {
  return new IdkError(
    'FP_UNPLUGGED',
    {
      vi: 'Cảm biến vân tay đã bị ngắt kết nối: cắm lại cáp rồi thử lại.',
      en: 'The fingerprint sensor was disconnected: plug the cable back in and try again.',
    },
    cause === undefined ? undefined : { cause },
  );
}

function unavailable(path: string, cause: unknown): IdkError {
  return new IdkError(
    'FP_UNAVAILABLE',
    {
      vi: `Không mở được cảm biến vân tay ở cổng ${path}: kiểm tra cáp và quyền truy cập cổng (nhóm dialout).`,
      en: `Cannot open the fingerprint sensor on ${path}: check the cable and the port permissions (dialout group).`,
    },
    { cause, detail: { path } },
  );
}

function captureTimeout(ms: number): IdkError {
  return new IdkError(
    'FP_CAPTURE_TIMEOUT',
    {
      vi: `Không thấy ngón tay trên cảm biến sau ${Math.round(ms / 1000)} giây: đặt ngón tay lên rồi thử lại.`,
      en: `No finger on the sensor after ${Math.round(ms / 1000)} s: place the finger and try again.`,
    },
    { detail: { ms } },
  );
}

/** How often an open port checks that its device node still exists (ms). */
const UNPLUG_POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class R30xSensor {
  readonly address: number;
  private readonly password: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly reader = new PacketReader();
  private inbox: ReadEvent[] = [];
  private waiter: (() => void) | undefined;
  private gone: IdkError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private packetSize = 128;
  /** Commands sent, retries included: tests and benchmarks read it. */
  sent = 0;

  constructor(
    private readonly link: ByteLink,
    opts: SensorOptions = {},
  ) {
    this.address = opts.address ?? DEFAULT_ADDRESS;
    this.password = opts.password ?? DEFAULT_PASSWORD;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retries = opts.retries ?? 2;
    link.onData((chunk) => {
      this.inbox.push(...this.reader.push(chunk));
      this.waiter?.();
    });
    link.onClose((cause) => {
      this.gone ??= unplugged(cause);
      this.waiter?.();
    });
  }

  /** Opens the port, verifies the password and reads the packet size for template transfers. */
  static async open(opts: OpenOptions): Promise<R30xSensor> {
    const link = await openSerialLink(opts.path, opts.baudRate ?? DEFAULT_BAUD);
    const sensor = new R30xSensor(link, opts);
    try {
      await sensor.verifyPassword();
      sensor.packetSize = (await sensor.readSysPara()).packetSize;
    } catch (e) {
      await link.close();
      throw e;
    }
    return sensor;
  }

  get connected(): boolean {
    return this.gone === undefined;
  }

  close(): Promise<void> {
    this.gone ??= unplugged();
    return this.link.close();
  }

  // ---- transport --------------------------------------------------------------------

  /** Runs f alone on the link: packets of two commands never interleave. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async nextPacket(ins: number, ms: number): Promise<Packet> {
    const deadline = Date.now() + ms;
    for (;;) {
      const ev = this.inbox.shift();
      if (ev) {
        if ('error' in ev) throw ev.error;
        if (ev.packet.address !== this.address) throw badPacket('answer from another address', { address: ev.packet.address });
        return ev.packet;
      }
      if (this.gone) throw this.gone;
      const left = deadline - Date.now();
      if (left <= 0) throw timeoutError(ins, ms);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  private async sendOnce(ins: Instruction, p: number[], ms: number): Promise<Ack> {
    if (this.gone) throw this.gone;
    // A late answer to an earlier, timed-out command must not pass for this one's.
    this.inbox = [];
    this.reader.reset();
    this.sent++;
    try {
      await this.link.write(commandPacket(ins, p, this.address));
    } catch (e) {
      throw this.gone ?? unplugged(e);
    }
    const pkt = await this.nextPacket(ins, ms);
    if (pkt.pid !== PID.ack || pkt.payload.length < 1) throw badPacket('expected an acknowledgement', { pid: pkt.pid });
    return { code: pkt.payload[0]!, data: pkt.payload.subarray(1) };
  }

  /**
   * One command and its acknowledgement, whatever the confirmation code (callers decide what a
   * code means: "no finger" is routine while polling). A timeout, a corrupt answer or a
   * "receive error" code is retried when repeating the command is harmless.
   */
  private async raw(ins: Instruction, p: number[] = [], ms = this.timeoutMs): Promise<Ack> {
    const attempts = NO_RETRY.has(ins) ? 1 : this.retries + 1;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        const ack = await this.sendOnce(ins, p, ms);
        if (retryable(ack.code) && i + 1 < attempts) {
          last = confirmationError(ack.code, ins);
          continue;
        }
        return ack;
      } catch (e) {
        last = e;
        if (this.gone || !(e instanceof IdkError) || (e.code !== 'FP_TIMEOUT' && e.code !== 'FP_BAD_PACKET')) throw e;
      }
    }
    throw last;
  }

  /** Runs a command; a non-zero confirmation code is thrown as its IdkError. */
  async command(ins: Instruction, p: number[] = [], ms?: number): Promise<Uint8Array> {
    const ack = await this.exclusive(() => this.raw(ins, p, ms));
    if (ack.code !== 0) throw confirmationError(ack.code, ins);
    return ack.data;
  }

  // ---- instructions -----------------------------------------------------------------

  async verifyPassword(): Promise<void> {
    await this.command(INS.vfyPwd, params.vfyPwd(this.password));
  }

  /** R503-family handshake (0x40): answers 0x00 when the module is ready. */
  async handshake(): Promise<void> {
    await this.command(INS.handshake);
  }

  async readSysPara(): Promise<SystemParameters> {
    return parseSysPara(await this.command(INS.readSysPara));
  }

  async templateCount(): Promise<number> {
    return parseTemplateNum(await this.command(INS.templateNum));
  }

  async indexTable(page = 0): Promise<number[]> {
    return parseIndexTable(await this.command(INS.readIndexTable, params.readIndexTable(page)), page);
  }

  /** GenImg: one image attempt; the confirmation code as is (0 image taken, 0x02 no finger). */
  genImg(): Promise<number> {
    return this.exclusive(() => this.raw(INS.genImg)).then((a) => a.code);
  }

  async img2Tz(buffer: number): Promise<void> {
    await this.command(INS.img2Tz, params.img2Tz(buffer));
  }

  async regModel(): Promise<void> {
    await this.command(INS.regModel);
  }

  async store(buffer: number, page: number): Promise<void> {
    await this.command(INS.store, params.store(buffer, page));
  }

  async loadChar(buffer: number, page: number): Promise<void> {
    await this.command(INS.loadChar, params.loadChar(buffer, page));
  }

  async deleteChar(page: number, count = 1): Promise<void> {
    await this.command(INS.deleteChar, params.deleteChar(page, count));
  }

  async empty(): Promise<void> {
    await this.command(INS.empty);
  }

  /** Match: char buffer 1 against char buffer 2 on the sensor. */
  async match(): Promise<MatchResult> {
    const ack = await this.exclusive(() => this.raw(INS.match));
    if (ack.code === 0) return { matched: true, score: parseMatch(ack.data).score };
    if (ack.code === 0x08) return { matched: false, score: ack.data.length >= 2 ? parseMatch(ack.data).score : 0 };
    throw confirmationError(ack.code, INS.match);
  }

  /** Search: char buffer against library pages [start, start+count); null when not found. */
  async search(buffer: number, start: number, count: number): Promise<{ page: number; score: number } | null> {
    const ack = await this.exclusive(() => this.raw(INS.search, params.search(buffer, start, count)));
    if (ack.code === 0) return parseSearch(ack.data);
    if (ack.code === 0x09) return null;
    throw confirmationError(ack.code, INS.search);
  }

  async led(config: LedConfig): Promise<void> {
    await this.command(INS.auraLedConfig, params.auraLedConfig(config));
  }

  /** UpChar: the template in a char buffer, as the data packets that follow the ack carry it. */
  upChar(buffer: number): Promise<Uint8Array> {
    return this.exclusive(async () => {
      let last: unknown;
      for (let i = 0; i <= this.retries; i++) {
        try {
          return await this.upCharOnce(buffer);
        } catch (e) {
          last = e;
          if (this.gone || !(e instanceof IdkError) || (e.code !== 'FP_TIMEOUT' && e.code !== 'FP_BAD_PACKET' && e.code !== 'FP_RECEIVE_ERROR')) throw e;
        }
      }
      throw last;
    });
  }

  private async upCharOnce(buffer: number): Promise<Uint8Array> {
    const ack = await this.sendOnce(INS.upChar, params.upChar(buffer), this.timeoutMs);
    if (ack.code !== 0) throw confirmationError(ack.code, INS.upChar);
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const p = await this.nextPacket(INS.upChar, this.timeoutMs);
      if (p.pid !== PID.data && p.pid !== PID.endData) throw badPacket('expected a data packet', { pid: p.pid });
      size += p.payload.length;
      if (size > MAX_TEMPLATE) throw badPacket('template longer than any sensor sends', { size });
      parts.push(p.payload);
      if (p.pid === PID.endData) break;
    }
    return concat(...parts);
  }

  /** DownChar: a template into a char buffer (the sensor does not acknowledge the data packets). */
  downChar(buffer: number, template: Uint8Array): Promise<void> {
    if (template.length === 0 || template.length > MAX_TEMPLATE) throw new RangeError(`template of ${template.length} bytes`);
    return this.exclusive(async () => {
      const ack = await this.sendOnce(INS.downChar, params.downChar(buffer), this.timeoutMs);
      if (ack.code !== 0) throw confirmationError(ack.code, INS.downChar);
      for (const pkt of dataPackets(template, this.packetSize, this.address)) {
        try {
          await this.link.write(pkt);
        } catch (e) {
          throw this.gone ?? unplugged(e);
        }
      }
    });
  }

  // ---- high-level steps -------------------------------------------------------------

  /**
   * Waits for a finger, takes its image and turns it into a template in `buffer`. Quality
   * failures (smudged, too few features) surface as their own IdkErrors with a prompt.
   */
  async capture(buffer = CHAR_BUFFER_1, opts: CaptureOptions = {}): Promise<void> {
    const waitMs = opts.waitMs ?? 10_000;
    const pollMs = opts.pollMs ?? 100;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const code = await this.genImg();
      if (code === 0) break;
      if (code !== 0x02) throw confirmationError(code, INS.genImg);
      if (Date.now() + pollMs > deadline) throw captureTimeout(waitMs);
      await sleep(pollMs);
    }
    await this.img2Tz(buffer);
  }

  /** Waits until the finger is lifted (enrolment takes two separate placements). */
  async waitLifted(opts: CaptureOptions = {}): Promise<void> {
    const deadline = Date.now() + (opts.waitMs ?? 10_000);
    while ((await this.genImg()) !== 0x02) {
      if (Date.now() > deadline) throw new IdkError('FP_LIFT_TIMEOUT', { vi: 'Hãy nhấc ngón tay khỏi cảm biến.', en: 'Lift the finger off the sensor.' });
      await sleep(opts.pollMs ?? 100);
    }
  }

  /** Two placements of one finger -> one model stored at `page`. */
  async enrol(page: number, opts: CaptureOptions = {}): Promise<void> {
    await this.capture(CHAR_BUFFER_1, opts);
    await this.waitLifted(opts);
    await this.capture(CHAR_BUFFER_2, opts);
    await this.regModel();
    await this.store(CHAR_BUFFER_1, page);
  }

  /** 1:N on the sensor: the library page the finger matches, or null. */
  async identify(opts: CaptureOptions & { start?: number; count?: number } = {}): Promise<{ page: number; score: number } | null> {
    await this.capture(CHAR_BUFFER_1, opts);
    return this.search(CHAR_BUFFER_1, opts.start ?? 0, opts.count ?? (await this.readSysPara()).capacity);
  }

  /** 1:1 on the sensor: the live finger against a template (from a card or a database). */
  async verifyTemplate(template: Uint8Array, opts: CaptureOptions = {}): Promise<MatchResult> {
    await this.downChar(CHAR_BUFFER_2, template);
    await this.capture(CHAR_BUFFER_1, opts);
    return this.match();
  }

  /** 1:1 on the sensor: the live finger against the model stored at `page`. */
  async verifyPage(page: number, opts: CaptureOptions = {}): Promise<MatchResult> {
    await this.loadChar(CHAR_BUFFER_2, page);
    await this.capture(CHAR_BUFFER_1, opts);
    return this.match();
  }

  /** The model stored at `page`, as bytes the host can keep. */
  async readTemplate(page: number): Promise<Uint8Array> {
    await this.loadChar(CHAR_BUFFER_1, page);
    return this.upChar(CHAR_BUFFER_1);
  }

  /** Puts a template kept by the host back into the library at `page`. */
  async writeTemplate(page: number, template: Uint8Array): Promise<void> {
    await this.downChar(CHAR_BUFFER_1, template);
    await this.store(CHAR_BUFFER_1, page);
  }
}

/** serialport as a ByteLink. */
export async function openSerialLink(path: string, baudRate: number): Promise<ByteLink> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(unavailable(path, e)) : resolve())));
  const closeHandlers: ((cause?: unknown) => void)[] = [];
  let closed = false;
  const fireClose = (cause?: unknown) => {
    if (closed) return;
    closed = true;
    for (const f of closeHandlers) f(cause);
  };
  port.on('close', (err?: Error) => fireClose(err));
  // Errors after open come from the OS (EIO when the USB adapter disappears): the link is gone.
  port.on('error', (err: Error) => fireClose(err));
  // A hung-up tty does not always reach serialport as an error: on a pty whose master closed,
  // reads return 0 bytes and serialport retries them forever. The device node disappears in
  // both cases (USB adapter pulled, pty master gone), so watch for that.
  const watch = setInterval(() => {
    if (existsSync(path)) return;
    clearInterval(watch);
    fireClose(new Error(`${path} disappeared`));
    if (port.isOpen) port.close(() => undefined);
  }, UNPLUG_POLL_MS);
  watch.unref();
  port.on('close', () => clearInterval(watch));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(unplugged());
        port.write(Buffer.from(bytes), (e) => (e ? reject(e) : port.drain((e2) => (e2 ? reject(e2) : resolve()))));
      }),
    onData: (f) => port.on('data', (chunk: Buffer) => f(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))),
    onClose: (f) => closeHandlers.push(f),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(watch);
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
