// What one ingest server process lets a client use, with the defaults documented in
// docs/store-and-forward.md. Every limit is enforced before the server commits memory or
// CPU to a request: sizes from the headers, concurrency before the body is read, the body's
// pace while it arrives, the decompressed size and event count while the batch is opened.

export interface ServerLimits {
  /** Largest request body on the wire (a sealed, compressed batch). */
  maxBodyBytes: number;
  /** Largest enrolment or operator request body. */
  maxSmallBodyBytes: number;
  /** Largest batch once decompressed (a zip bomb stops here). */
  maxPlainBytes: number;
  /** Most events in one batch. */
  maxBatchEvents: number;
  /** Bodies one device may be uploading at once. */
  maxUploadsPerDevice: number;
  /** Bodies one network address may be uploading at once (a site behind one NAT counts once). */
  maxUploadsPerAddress: number;
  /** After `bodyGraceMs`, a body must have averaged at least this rate, or it is dropped. */
  minBodyBytesPerSec: number;
  bodyGraceMs: number;
  /** A body that sends nothing for this long is dropped. */
  bodyIdleMs: number;
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: number;
  /** A signed request's time (device clock plus its measured offset) may differ this much from the server's. */
  requestWindowMs: number;
  /** After an error answer, unread request bytes are read and dropped this long before the socket closes. */
  lingerMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxSmallBodyBytes: 16 * 1024,
  maxPlainBytes: 32 * 1024 * 1024,
  maxBatchEvents: 20_000,
  maxUploadsPerDevice: 2,
  maxUploadsPerAddress: 64,
  minBodyBytesPerSec: 256,
  bodyGraceMs: 5_000,
  bodyIdleMs: 15_000,
  headersTimeoutMs: 20_000,
  requestWindowMs: 15 * 60_000,
  lingerMs: 2_000,
};

/** Counts uploads in flight per key (device, address); `take` refuses past the limit. */
export class UploadSlots {
  private readonly inFlight = new Map<string, number>();
  constructor(private readonly limit: number) {}

  take(key: string): boolean {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.inFlight.set(key, n + 1);
    return true;
  }

  give(key: string): void {
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }

  get size(): number {
    let n = 0;
    for (const v of this.inFlight.values()) n += v;
    return n;
  }
}

/** `name=value` pairs (from `sync-server --limit`) over the defaults; an unknown name or a bad number is refused. */
export function parseLimits(pairs: string[]): Partial<ServerLimits> {
  const out: Partial<ServerLimits> = {};
  for (const p of pairs) {
    const m = /^(\w+)=(\d+)$/.exec(p.trim());
    const name = m?.[1] as keyof ServerLimits | undefined;
    if (!m || !name || !(name in DEFAULT_LIMITS) || !(Number(m[2]) > 0)) {
      throw new RangeError(`--limit ${p}: expected NAME=POSITIVE_INTEGER with NAME one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    }
    out[name] = Number(m[2]);
  }
  return out;
}
