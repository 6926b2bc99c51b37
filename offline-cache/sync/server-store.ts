// What the ingest server needs from its database, implemented for SQLite (one machine)
// and PostgreSQL (a fleet). The dedup on (device, seq) and the chain-continuity check run
// inside the same transaction that stores the events, under a lock on the device's row,
// so two deliveries of one batch racing each other store it once.

export interface DeviceRecord {
  deviceId: string;
  signPublicKey: Uint8Array;
  site: string;
  enrolledAt: number;
  headSeq: number;
  headHash: Uint8Array | null;
}

export interface IncomingEvent {
  seq: number;
  id: string;
  at: number;
  /** The canonical JSON that was hashed. */
  body: string;
  hash: Uint8Array;
  /** The device's signature, kept on the batch tip (it vouches for the run before it). */
  sig: Uint8Array | null;
  /** The subject, encrypted under the server's data key. */
  subject: Uint8Array;
  clockFlag: string | null;
}

export type IngestResult =
  | { kind: 'ok'; stored: number; duplicates: number; flagged: number; ackSeq: number; ackHash: Uint8Array | null }
  | { kind: 'gap'; ackSeq: number; ackHash: Uint8Array | null }
  | { kind: 'conflict'; seq: number; ackSeq: number; ackHash: Uint8Array | null };

interface DeviceStats {
  deviceId: string;
  site: string;
  events: number;
  ackSeq: number;
  flagged: number;
}

export interface StoredEventRow {
  seq: number;
  id: string;
  body: string;
  hash: Uint8Array;
  sig: Uint8Array | null;
  subject: Uint8Array;
  clockFlag: string | null;
}

export interface ServerStore {
  readonly kind: 'sqlite' | 'postgres';
  enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number }): Promise<'created' | 'same' | 'conflict'>;
  device(deviceId: string): Promise<DeviceRecord | undefined>;
  /** `genesis` is the chain's start for this device, used when `from` is 1. */
  ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number): Promise<IngestResult>;
  stats(): Promise<{ events: number; devices: DeviceStats[] }>;
  events(deviceId: string): Promise<StoredEventRow[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array): boolean {
  return !!a && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/**
 * The decision shared by both databases, given the locked head and the stored hashes of
 * the overlap [from-1, head]: a gap, a conflict, or which events are new.
 */
export function planIngest(
  head: { seq: number; hash: Uint8Array | null },
  from: number,
  prev: Uint8Array,
  genesis: Uint8Array,
  events: IncomingEvent[],
  storedHash: (seq: number) => Uint8Array | undefined,
): { kind: 'gap' } | { kind: 'conflict'; seq: number } | { kind: 'ok'; fresh: IncomingEvent[]; duplicates: number } {
  if (from - 1 > head.seq) return { kind: 'gap' };
  const expectedPrev = from === 1 ? genesis : from - 1 === head.seq ? head.hash : storedHash(from - 1);
  if (!sameBytes(expectedPrev, prev)) return { kind: 'conflict', seq: from - 1 };
  let duplicates = 0;
  const fresh: IncomingEvent[] = [];
  for (const e of events) {
    if (e.seq <= head.seq) {
      if (!sameBytes(storedHash(e.seq), e.hash)) return { kind: 'conflict', seq: e.seq };
      duplicates++;
    } else fresh.push(e);
  }
  return { kind: 'ok', fresh, duplicates };
}
