// Simulated kiosks for the fleet-scale test and `bench sync`: each holds its chain of real
// events (the same bodies, hashes, commitments and Ed25519 signatures a kiosk makes, the
// same sealed batches and signed requests on the wire) in memory instead of a SQLite store,
// so hundreds of devices and a hundred thousand events fit in one process. It signs with
// node:crypto, which gives the very bytes the device key's signHash gives.
//
// What it does not model is the store's durability (test/integration/sync-kill.test.ts
// does), nor the client's batch sizing (the drivers choose batches themselves, to spread
// one device over several servers and to send one batch twice at once).
import { type KeyObject, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import type { Agent } from 'node:http';
import { type Json, b64, canonical, unb64 } from '../canonical.js';
import { type EventBody, type Subject, type VerificationInput, bodyOf, chainHash, genesisHash, subjectOf } from '../events.js';
import { uuidv7 } from '../uuidv7.js';
import { type HttpReply, httpExchange } from './http.js';
import { BATCH_CONTENT_TYPE, encodeBatch } from './protocol.js';
import { queueReport, signedHeaders } from './request-auth.js';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SIG_TAG = Buffer.from('idkiosk-event-v1');

interface SimEvent {
  body: EventBody;
  subject: Subject;
  hash: Uint8Array;
}

type SimReply = { status: number; json: Record<string, unknown> };

export class SimDevice {
  readonly deviceId: string;
  readonly signPublicKey: Uint8Array;
  private readonly key: KeyObject;
  readonly events: SimEvent[] = [];
  /** Highest sequence number a server acknowledged to this device. */
  acked = 0;
  serverBoxKey: Uint8Array | undefined;
  /** Server time minus this device's clock: a kiosk whose clock is off, which it knows from the server. */
  clockOffsetMs = 0;
  private readonly tipSigs = new Map<number, Uint8Array>();

  constructor(deviceId: string, seed: Uint8Array = randomBytes(32)) {
    this.deviceId = deviceId;
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    this.signPublicKey = new Uint8Array(createPublicKey(this.key).export({ format: 'der', type: 'spki' }).subarray(-32));
  }

  /** The device key's signature of a 32-byte hash, as events.ts signHash makes it. */
  signHash(hash: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, Buffer.concat([SIG_TAG, hash]), this.key));
  }

  /** Appends verifications to the chain, stamped from `at` on, one `stepMs` apart. */
  record(inputs: VerificationInput[], at = Date.now(), stepMs = 1000): void {
    let prev = this.events.length ? this.events[this.events.length - 1]!.hash : genesisHash(this.signPublicKey);
    for (const [i, input] of inputs.entries()) {
      const t = at + i * stepMs;
      const subject = subjectOf(input, randomBytes(16));
      const made = bodyOf(input, { id: uuidv7(t), device: this.deviceId, seq: this.events.length + 1, at: t, clock: 0, subject });
      // As a kiosk sends them: read back from their stored canonical text (keys in order).
      const body = JSON.parse(canonical(made as unknown as Json)) as EventBody;
      prev = chainHash(prev, body);
      this.events.push({ body, subject: JSON.parse(canonical(subject as unknown as Json)) as Subject, hash: prev });
    }
  }

  get head(): number {
    return this.events.length;
  }

  private sig(seq: number): Uint8Array {
    let s = this.tipSigs.get(seq);
    if (!s) this.tipSigs.set(seq, (s = this.signHash(this.events[seq - 1]!.hash)));
    return s;
  }

  /** Events from..to as one sealed batch for the server this device enrolled with. */
  async batch(from: number, to: number): Promise<Uint8Array> {
    if (!this.serverBoxKey) throw new Error(`${this.deviceId} is not enrolled`);
    const prev = from === 1 ? genesisHash(this.signPublicKey) : this.events[from - 2]!.hash;
    const run = this.events.slice(from - 1, to);
    return (await encodeBatch({ v: 1, device: this.deviceId, from, prev: b64(prev), sig: b64(this.sig(to)), events: run.map((e) => ({ body: e.body, subject: e.subject })) }, this.serverBoxKey)).wire;
  }

  /** `sendsUpTo`: the tip of the batch this request carries (the report names what waits after it). */
  headers(method: string, path: string, body?: Uint8Array, sendsUpTo = this.acked): Record<string, string> {
    const oldest = sendsUpTo < this.head ? this.events[sendsUpTo]!.body.at : null;
    return signedHeaders((d) => this.signHash(d), { method, path, device: this.deviceId, time: Date.now() - this.clockOffsetMs, offset: this.clockOffsetMs, body, queue: queueReport(this.head, oldest) });
  }

  async enrol(url: string, token: string, site: string, timeoutMs = 20_000): Promise<SimReply> {
    const body = Buffer.from(JSON.stringify({ deviceId: this.deviceId, signPublicKey: b64(this.signPublicKey), site }));
    const r = await httpExchange(new URL('/v1/enrol', url).toString(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, timeoutMs });
    const json = parse(r);
    if (r.status === 200 || r.status === 201) this.serverBoxKey = unb64(String(json.serverBoxKey));
    return { status: r.status, json };
  }

  /** Sends a prepared batch; a 200 or a GAP moves `acked` to what the server holds. */
  async send(url: string, wire: Uint8Array, o: { timeoutMs?: number; agent?: Agent; to?: number } = {}): Promise<SimReply> {
    const r = await httpExchange(new URL('/v1/batches', url).toString(), {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE, ...this.headers('POST', '/v1/batches', wire, o.to) },
      body: wire,
      timeoutMs: o.timeoutMs ?? 20_000,
      agent: o.agent,
    });
    const json = parse(r);
    if ((r.status === 200 || (r.status === 409 && json.code === 'GAP')) && typeof json.ackSeq === 'number') this.acked = Math.max(this.acked, json.ackSeq);
    return { status: r.status, json };
  }

  /** Asks a server for this device's head (signed GET), adopting it. */
  async resume(url: string, timeoutMs = 20_000): Promise<SimReply> {
    const path = `/v1/devices/${this.deviceId}/ack`;
    const r = await httpExchange(new URL(path, url).toString(), { method: 'GET', headers: this.headers('GET', path), timeoutMs });
    const json = parse(r);
    if (r.status === 200 && typeof json.ackSeq === 'number') this.acked = Math.max(this.acked, json.ackSeq);
    return { status: r.status, json };
  }
}

function parse(r: HttpReply): Record<string, unknown> {
  try {
    return JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    return { code: `HTTP_${r.status}`, message: r.text.slice(0, 200) };
  }
}
