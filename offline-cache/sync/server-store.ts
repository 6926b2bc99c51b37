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
  /** Set once an operator revoked the device: its later batches are kept apart, never merged. */
  revokedAt: number | null;
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
  /** The subject, sealed under the server key `keyId`. */
  subject: Uint8Array;
  keyId: string;
  clockFlag: string | null;
  /** Copied out of the body for the fleet view (the body stays as signed). */
  site: string;
  result: string;
  /** Any of passive, chip or active authentication said `invalid`. */
  authInvalid: boolean;
}

/** What a device said about itself with its last signed request. */
export interface DeviceSeen {
  at: number;
  /** The device's last recorded sequence number, as it reported it. */
  head: number | null;
  oldestPendingAt: number | null;
  /** Server clock minus device clock at that request (ms). */
  skewMs: number;
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
  /** null once the retention policy purged it; the body, hash and signature stay. */
  subject: Uint8Array | null;
  keyId: string | null;
  clockFlag: string | null;
  receivedAt: number;
  purgedAt: number | null;
}

/** One of the server's key sets, its secrets sealed under the operator's master key. */
export interface KeyRow {
  keyId: string;
  createdAt: number;
  boxPublicKey: Uint8Array;
  sealed: Uint8Array;
}

export interface EnrolTokenRow {
  tokenId: string;
  site: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Devices enrolled with it. */
  used: number;
}

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

export interface QuarantinedBatch {
  id: number;
  deviceId: string;
  receivedAt: number;
  bytes: number;
  reason: string;
}

interface FleetDevice {
  deviceId: string;
  site: string;
  enrolledAt: number;
  headSeq: number;
  events: number;
  lastSeenAt: number | null;
  /** Events the device had recorded (as it last reported) that the server does not hold yet. */
  pending: number | null;
  oldestPendingAt: number | null;
  skewMs: number | null;
  revokedAt: number | null;
  revokeReason: string | null;
  quarantined: number;
}

interface FleetSiteCounts {
  site: string;
  accepted: number;
  rejected: number;
  review: number;
  /** Events where passive, chip or active authentication said `invalid`. */
  invalid: number;
}

export interface FleetData {
  devices: FleetDevice[];
  /** Verifications per site per day (day = YYYY-MM-DD in the view's time zone), oldest first. */
  perSiteDay: { site: string; day: string; count: number }[];
  perSite: FleetSiteCounts[];
}

/** One audit line of a kiosk's local identity service (offline-cache/audit.ts), as the server keeps it. */
export interface AuditRow {
  id: string;
  at: number;
  /** The canonical JSON the device signed. */
  line: string;
  sig: Uint8Array;
}

export interface ServerStore {
  readonly kind: 'sqlite' | 'postgres';
  enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number; tokenId?: string }): Promise<'created' | 'same' | 'conflict'>;
  device(deviceId: string): Promise<DeviceRecord | undefined>;
  /** `genesis` is the chain's start for this device, used when `from` is 1. */
  ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number, seen?: DeviceSeen): Promise<IngestResult>;
  /** Notes a signed request that stored nothing (an ack query). */
  touch(deviceId: string, seen: DeviceSeen): Promise<void>;
  stats(): Promise<{ events: number; devices: DeviceStats[] }>;
  events(deviceId: string): Promise<StoredEventRow[]>;

  /** The server's key sets, oldest first. */
  keyRows(): Promise<KeyRow[]>;
  /** Adds a key set; with `onlyIfNone`, only when there is none yet (first start of several nodes at once). */
  addKeyRow(row: KeyRow, onlyIfNone: boolean): Promise<boolean>;

  addEnrolToken(t: { tokenId: string; hash: Uint8Array; site: string; createdAt: number; expiresAt: number }): Promise<void>;
  /** The live token with this hash (not expired at `now`, not revoked). */
  enrolTokenByHash(hash: Uint8Array, now: number): Promise<{ tokenId: string; site: string } | undefined>;
  enrolTokens(): Promise<EnrolTokenRow[]>;
  revokeEnrolToken(tokenId: string, now: number): Promise<boolean>;

  revokeDevice(deviceId: string, now: number, reason: string): Promise<boolean>;
  /** Keeps a revoked device's batch apart (at most `maxPerDevice` of them); false when not kept. */
  quarantine(deviceId: string, receivedAt: number, wire: Uint8Array, reason: string, maxPerDevice: number): Promise<boolean>;
  quarantined(deviceId?: string): Promise<QuarantinedBatch[]>;

  /** Appends to the audit table (which refuses updates and deletes). */
  audit(e: AuditEntry): Promise<void>;
  auditLog(limit: number): Promise<AuditEntry[]>;

  /** The fleet view; days are counted with `utcOffsetMinutes` (Việt Nam: 420), over the last `days` days. */
  fleet(o: { utcOffsetMinutes: number; days: number; now: number }): Promise<FleetData>;

  /** Drops the sealed personal part of events received before `before`; returns how many. */
  purgeSubjects(before: number, now: number): Promise<number>;

  /** Stores audit lines once each (device, id); a resent line counts as a duplicate. */
  storeAudit(deviceId: string, rows: AuditRow[], receivedAt: number): Promise<{ stored: number; duplicates: number }>;
  auditLines(deviceId: string): Promise<AuditRow[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The day number (days since 1970-01-01 in the view's time zone) as YYYY-MM-DD. */
export function dayString(dayNumber: number): string {
  return new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
}

/** Fields of a stored body the fleet view counts, for rows stored before they had their own columns. */
export function fleetFields(body: { site: string; result: string; auth: { passive: string; chip: string; active: string } }): { site: string; result: string; authInvalid: boolean } {
  const a = body.auth;
  return { site: body.site, result: body.result, authInvalid: a.passive === 'invalid' || a.chip === 'invalid' || a.active === 'invalid' };
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
