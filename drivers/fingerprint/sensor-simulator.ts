// A software R30x sensor at the far end of a real pty pair (socat), speaking the same wire
// protocol as the module: the driver cannot tell it from a USB-serial adapter. Fingers are
// scripted: what lies on the glass, how good its image is, whether the sensor falls silent
// (timeout) or is pulled out mid-answer (unplug).
//
// The templates it makes are its own opaque 512-byte blobs (a real module's are vendor
// proprietary too): a tag, a digest of the finger's identity, the capture's noise. Scores are
// simulated: same finger 60..199, different fingers 0..29, the module's usual "pass at 50".
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../core/bytes.js';
import { type ByteLink, openSerialLink } from './r30x-sensor.js';
import {
  DEFAULT_ADDRESS,
  INS,
  PID,
  type Packet,
  PacketReader,
  ackPacket,
  buildSysPara,
  dataPackets,
  encodePacket,
  packetBytes,
} from './r30x-protocol.js';

interface SimFinger {
  /** Who and which finger, e.g. "person-a/right-index"; never a real person. */
  id: string;
  /** good (default) | messy (Img2Tz 0x06) | few-features (0x07) | bad-image (GenImg 0x03). */
  quality?: 'good' | 'messy' | 'few-features' | 'bad-image';
}

interface SimulatorOptions {
  address?: number;
  password?: number;
  capacity?: number;
  packetSize?: 32 | 64 | 128 | 256;
  baudRate?: number;
  templateSize?: number;
  /** Delay answers by the time the bytes take on a real UART at baudRate (benchmarks). */
  paceWire?: boolean;
}

const TAG = utf8.encode('SIMT');
const SCORE_PASS = 50;

class SensorSimulator {
  /** What lies on the glass now; null = nothing. */
  finger: SimFinger | null = null;
  /** Fingers placed for the next GenImg calls, in order, before `finger` is used. */
  readonly script: (SimFinger | null)[] = [];
  /** The sensor swallows commands and never answers (a hung module, wrong baud rate). */
  silent = false;
  /** Set to an instruction: on receiving it, half an answer goes out and the cable is pulled. */
  unplugOn: number | undefined;
  /** Answer the next N commands with a corrupted checksum (line noise). */
  corruptNext = 0;
  /** Instructions received, in order (retries included). */
  readonly log: number[] = [];
  readonly library = new Map<number, Uint8Array>();
  private readonly buffers = new Map<number, Uint8Array>();
  private image: SimFinger | null = null;
  private captures = 0;
  private verified: boolean;
  private readonly reader = new PacketReader();
  private downTo: number | undefined;
  private downParts: Uint8Array[] = [];
  private readonly opts: Required<SimulatorOptions>;
  onUnplug: (() => void) | undefined;

  constructor(
    private readonly link: ByteLink,
    opts: SimulatorOptions = {},
  ) {
    this.opts = { address: DEFAULT_ADDRESS, password: 0, capacity: 200, packetSize: 128, baudRate: 57600, templateSize: 512, paceWire: false, ...opts };
    this.verified = this.opts.password === 0;
    link.onData((chunk) => {
      for (const ev of this.reader.push(chunk)) if ('packet' in ev) void this.handle(ev.packet);
    });
    link.onClose(() => undefined);
  }

  /** Takes the template a finger gives on one capture. */
  templateOf(f: SimFinger): Uint8Array {
    const t = new Uint8Array(this.opts.templateSize);
    t.set(TAG);
    t.set(sha256(utf8.encode(f.id)).subarray(0, 16), 4);
    let seed = sha256(utf8.encode(`${f.id}#${this.captures++}`));
    for (let o = 20; o < t.length; o += 32) {
      t.set(seed.subarray(0, Math.min(32, t.length - o)), o);
      seed = sha256(seed);
    }
    return t;
  }

  private static identity(t: Uint8Array | undefined): string | null {
    if (!t || t.length < 20 || !TAG.every((b, i) => t[i] === b)) return null;
    return Array.from(t.subarray(4, 20), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Sensor score for two templates: deterministic from their bytes. */
  static score(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
    const ia = SensorSimulator.identity(a);
    const mix = ((a?.[20] ?? 0) + (b?.[21] ?? 0)) % 256;
    if (ia !== null && ia === SensorSimulator.identity(b)) return 60 + (mix % 140);
    return mix % 30;
  }

  private async reply(bytes: Uint8Array[], cmdBytes: number): Promise<void> {
    if (this.opts.paceWire) {
      const total = cmdBytes + bytes.reduce((n, b) => n + b.length, 0);
      await new Promise((r) => setTimeout(r, (total * 10 * 1000) / this.opts.baudRate));
    }
    for (const b of bytes) await this.link.write(b).catch(() => undefined);
  }

  private ack(code: number, data: number[] | Uint8Array = []): Uint8Array {
    const p = ackPacket(code, data, this.opts.address);
    if (this.corruptNext > 0) {
      this.corruptNext--;
      p[p.length - 1] = p[p.length - 1]! ^ 0xff;
    }
    return p;
  }

  private async handle(p: Packet): Promise<void> {
    if (p.address !== this.opts.address) return; // a module ignores packets for another address
    if (p.pid === PID.data || p.pid === PID.endData) {
      if (this.downTo === undefined) return;
      this.downParts.push(p.payload);
      if (p.pid === PID.endData) {
        const size = this.downParts.reduce((n, x) => n + x.length, 0);
        const t = new Uint8Array(size);
        let o = 0;
        for (const x of this.downParts) t.set(x, (o += x.length) - x.length);
        this.buffers.set(this.downTo, t);
        this.downTo = undefined;
        this.downParts = [];
      }
      return;
    }
    if (p.pid !== PID.command || p.payload.length === 0) return;
    const ins = p.payload[0]!;
    const arg = p.payload.subarray(1);
    this.log.push(ins);
    if (this.silent) return;
    const cmdBytes = packetBytes(p.payload.length);
    if (this.unplugOn === ins) {
      const half = this.ack(0, [0, 1, 0, 99]).subarray(0, 6);
      await this.link.write(half).catch(() => undefined);
      this.onUnplug?.();
      return;
    }
    await this.reply(this.answer(ins, arg), cmdBytes);
  }

  private u16(a: Uint8Array, i: number): number {
    return ((a[i] ?? 0) << 8) | (a[i + 1] ?? 0);
  }

  private answer(ins: number, arg: Uint8Array): Uint8Array[] {
    const a = (code: number, data: number[] | Uint8Array = []) => [this.ack(code, data)];
    if (ins === INS.vfyPwd) {
      const pw = ((arg[0]! << 24) | (arg[1]! << 16) | (arg[2]! << 8) | arg[3]!) >>> 0;
      this.verified = pw === this.opts.password;
      return a(this.verified ? 0 : 0x13);
    }
    if (!this.verified) return a(0x21);
    const bufOk = (b: number | undefined) => b === 1 || b === 2;
    switch (ins) {
      case INS.handshake:
      case INS.checkSensor:
        return a(0);
      case INS.readSysPara:
        return a(0, buildSysPara({ status: 0, systemId: 9, capacity: this.opts.capacity, securityLevel: 3, address: this.opts.address, packetSize: this.opts.packetSize, baudRate: this.opts.baudRate }));
      case INS.templateNum:
        return a(0, [this.library.size >> 8, this.library.size & 0xff]);
      case INS.readIndexTable: {
        const bits = new Uint8Array(32);
        const base = (arg[0] ?? 0) * 256;
        for (const page of this.library.keys()) if (page >= base && page < base + 256) bits[(page - base) >> 3]! |= 1 << ((page - base) & 7);
        return a(0, bits);
      }
      case INS.genImg: {
        const f = this.script.length > 0 ? this.script.shift()! : this.finger;
        if (!f) return a(0x02);
        if (f.quality === 'bad-image') return a(0x03);
        this.image = f;
        return a(0);
      }
      case INS.img2Tz: {
        if (!bufOk(arg[0])) return a(0x1a);
        if (!this.image) return a(0x15);
        if (this.image.quality === 'messy') return a(0x06);
        if (this.image.quality === 'few-features') return a(0x07);
        this.buffers.set(arg[0]!, this.templateOf(this.image));
        return a(0);
      }
      case INS.regModel: {
        const one = this.buffers.get(1);
        const two = this.buffers.get(2);
        const id = SensorSimulator.identity(one);
        if (id === null || id !== SensorSimulator.identity(two)) return a(0x0a);
        this.buffers.set(2, one!.slice());
        return a(0);
      }
      case INS.store: {
        const page = this.u16(arg, 1);
        if (!bufOk(arg[0])) return a(0x1a);
        if (page >= this.opts.capacity) return a(0x0b);
        const t = this.buffers.get(arg[0]!);
        if (!t) return a(0x0c);
        this.library.set(page, t.slice());
        return a(0);
      }
      case INS.loadChar: {
        const page = this.u16(arg, 1);
        if (!bufOk(arg[0])) return a(0x1a);
        if (page >= this.opts.capacity) return a(0x0b);
        const t = this.library.get(page);
        if (!t) return a(0x0c);
        this.buffers.set(arg[0]!, t.slice());
        return a(0);
      }
      case INS.deleteChar: {
        const page = this.u16(arg, 0);
        const n = this.u16(arg, 2);
        if (page + n > this.opts.capacity) return a(0x10);
        for (let i = page; i < page + n; i++) this.library.delete(i);
        return a(0);
      }
      case INS.empty:
        this.library.clear();
        return a(0);
      case INS.match: {
        const s = SensorSimulator.score(this.buffers.get(1), this.buffers.get(2));
        return a(s >= SCORE_PASS ? 0 : 0x08, [s >> 8, s & 0xff]);
      }
      case INS.search:
      case INS.hiSpeedSearch: {
        if (!bufOk(arg[0])) return a(0x1a);
        const start = this.u16(arg, 1);
        const n = this.u16(arg, 3);
        const probe = this.buffers.get(arg[0]!);
        let best = { page: -1, score: 0 };
        for (const [page, t] of this.library) {
          if (page < start || page >= start + n) continue;
          const s = SensorSimulator.score(probe, t);
          if (s > best.score) best = { page, score: s };
        }
        if (best.page < 0 || best.score < SCORE_PASS) return a(0x09, [0, 0, 0, 0]);
        return a(0, [best.page >> 8, best.page & 0xff, best.score >> 8, best.score & 0xff]);
      }
      case INS.upChar: {
        const t = bufOk(arg[0]) ? this.buffers.get(arg[0]!) : undefined;
        if (!t) return a(0x0d);
        return [this.ack(0), ...dataPackets(t, this.opts.packetSize, this.opts.address)];
      }
      case INS.downChar:
        if (!bufOk(arg[0])) return a(0x1a);
        this.downTo = arg[0];
        this.downParts = [];
        return a(0);
      case INS.auraLedConfig:
        return a(arg.length === 4 && arg[0]! >= 1 && arg[0]! <= 6 ? 0 : 0x1a);
      case INS.ledOn:
      case INS.ledOff:
        return a(0);
      case INS.getRandomCode:
        return a(0, [0x12, 0x34, 0x56, 0x78]);
      default:
        // The modules answer an instruction they do not know with "receive error".
        return a(0x01);
    }
  }

  /** A raw packet out of the blue (tests of framing recovery). */
  async inject(bytes: Uint8Array): Promise<void> {
    await this.link.write(bytes);
  }

  static encode(p: Packet): Uint8Array {
    return encodePacket(p);
  }
}

export interface SimulatedSensor {
  /** The pty the driver opens, as it would /dev/ttyUSB0. */
  hostPath: string;
  sim: SensorSimulator;
  /** Pulls the cable: socat dies, the driver's pty reports the hang-up. */
  unplug(): void;
  stop(): Promise<void>;
}

export interface PtyPair {
  a: string;
  b: string;
  proc: ChildProcess;
}

/** A pty pair from socat (Debian package "socat"). */
export async function ptyPair(): Promise<PtyPair> {
  if (!existsSync('/usr/bin/socat')) throw new Error('socat is missing: install the Debian package "socat" (listed in .ci/apt-packages.d/)');
  const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not report its ptys: ${log}`)), 5000);
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const ptys = [...log.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]!);
      if (ptys.length === 2 && /starting data transfer loop/.test(log)) {
        clearTimeout(timer);
        resolve({ a: ptys[0]!, b: ptys[1]!, proc });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited ${code}: ${log}`));
    });
  });
}

/** Starts socat and a simulator on one end; the driver opens `hostPath`. */
export async function startSimulatedSensor(opts: SimulatorOptions = {}): Promise<SimulatedSensor> {
  const pair = await ptyPair();
  const link = await openSerialLink(pair.b, opts.baudRate ?? 57600);
  const sim = new SensorSimulator(link, opts);
  let alive = true;
  const unplug = () => {
    if (!alive) return;
    alive = false;
    pair.proc.kill('SIGKILL');
  };
  sim.onUnplug = unplug;
  return {
    hostPath: pair.a,
    sim,
    unplug,
    stop: async () => {
      await link.close().catch(() => undefined);
      if (alive) {
        alive = false;
        const exited = new Promise((r) => pair.proc.once('exit', r));
        pair.proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}
