// The ingest server's SQLite store (the default: one machine, one file).
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../store.js';
import {
  type AuditEntry,
  type AuditRow,
  type DeviceRecord,
  type DeviceSeen,
  type EnrolTokenRow,
  type FleetData,
  type IncomingEvent,
  type IngestResult,
  type KeyRow,
  type QuarantinedBatch,
  type ServerStore,
  type StoredEventRow,
  dayString,
  planIngest,
} from './server-store.js';

const SCHEMA = [
  `CREATE TABLE devices (
     device_id TEXT PRIMARY KEY, sign_pk BLOB NOT NULL, site TEXT NOT NULL, enrolled_at INTEGER NOT NULL,
     head_seq INTEGER NOT NULL DEFAULT 0, head_hash BLOB
   ) STRICT;
   CREATE TABLE events (
     device_id TEXT NOT NULL REFERENCES devices(device_id), seq INTEGER NOT NULL, id TEXT NOT NULL,
     at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL, hash BLOB NOT NULL, sig BLOB,
     subject BLOB NOT NULL, clock_flag TEXT,
     PRIMARY KEY (device_id, seq)
   ) STRICT, WITHOUT ROWID;`,
  // v2: keys in the database, each sealed record naming its key; the fleet's columns;
  // subjects that retention can drop (the table is rebuilt: SQLite cannot relax NOT NULL).
  `CREATE TABLE server_keys (
     key_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, box_pk BLOB NOT NULL, sealed BLOB NOT NULL
   ) STRICT;
   ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
   ALTER TABLE devices ADD COLUMN revoke_reason TEXT;
   ALTER TABLE devices ADD COLUMN enrol_token_id TEXT;
   ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
   ALTER TABLE devices ADD COLUMN last_head INTEGER;
   ALTER TABLE devices ADD COLUMN last_oldest_pending_at INTEGER;
   ALTER TABLE devices ADD COLUMN last_skew_ms INTEGER;
   CREATE TABLE events2 (
     device_id TEXT NOT NULL REFERENCES devices(device_id), seq INTEGER NOT NULL, id TEXT NOT NULL,
     at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL, hash BLOB NOT NULL, sig BLOB,
     subject BLOB, key_id TEXT, clock_flag TEXT,
     site TEXT NOT NULL, result TEXT NOT NULL, auth_invalid INTEGER NOT NULL, purged_at INTEGER,
     PRIMARY KEY (device_id, seq)
   ) STRICT, WITHOUT ROWID;
   INSERT INTO events2 SELECT device_id, seq, id, at, received_at, body, hash, sig, subject, 'legacy', clock_flag,
     json_extract(body, '$.site'), json_extract(body, '$.result'),
     (json_extract(body, '$.auth.passive') = 'invalid' OR json_extract(body, '$.auth.chip') = 'invalid' OR json_extract(body, '$.auth.active') = 'invalid'),
     NULL FROM events;
   DROP TABLE events;
   ALTER TABLE events2 RENAME TO events;
   CREATE INDEX events_received ON events(received_at) WHERE purged_at IS NULL;
   CREATE TABLE enrol_tokens (
     token_id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, site TEXT NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER
   ) STRICT;
   CREATE TABLE quarantine (
     id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, received_at INTEGER NOT NULL, wire BLOB NOT NULL, reason TEXT NOT NULL
   ) STRICT;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL
   ) STRICT;
   CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit table is append-only'); END;
   CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit table is append-only'); END;`,
  // v3: audit lines of the kiosks' local identity service (apart from the operators' audit above).
  `CREATE TABLE device_audit (
     device_id TEXT NOT NULL REFERENCES devices(device_id), id TEXT NOT NULL, at INTEGER NOT NULL,
     received_at INTEGER NOT NULL, line TEXT NOT NULL, sig BLOB NOT NULL,
     PRIMARY KEY (device_id, id)
   ) STRICT, WITHOUT ROWID;`,
];

interface DeviceRow {
  device_id: string;
  sign_pk: Uint8Array;
  site: string;
  enrolled_at: number;
  head_seq: number;
  head_hash: Uint8Array | null;
  revoked_at: number | null;
}

const u8 = (b: Uint8Array | null): Uint8Array | null => (b ? new Uint8Array(b) : null);

export class SqliteServerStore implements ServerStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;

  constructor(path: string) {
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
    closeSync(openSync(path, 'a', 0o600));
    if (process.platform !== 'win32') chmodSync(path, 0o600);
    this.db = openDatabase(path, 'FULL');
    // Freed pages are zeroed: a purged subject does not linger in the file.
    this.db.pragma('secure_delete = ON');
    // Foreign keys off while a migration rebuilds a table (SQLite's documented procedure).
    this.db.pragma('foreign_keys = OFF');
    this.db
      .transaction(() => {
        const v = this.db.pragma('user_version', { simple: true }) as number;
        for (let i = v; i < SCHEMA.length; i++) {
          this.db.exec(SCHEMA[i]!);
          this.db.pragma(`user_version = ${i + 1}`);
        }
      })
      .immediate();
    this.db.pragma('foreign_keys = ON');
  }

  async enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number; tokenId?: string }): Promise<'created' | 'same' | 'conflict'> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT sign_pk FROM devices WHERE device_id = ?').get(d.deviceId) as { sign_pk: Uint8Array } | undefined;
        if (row) return Buffer.compare(Buffer.from(row.sign_pk), Buffer.from(d.signPublicKey)) === 0 ? 'same' : 'conflict';
        this.db.prepare('INSERT INTO devices(device_id, sign_pk, site, enrolled_at, enrol_token_id) VALUES (?, ?, ?, ?, ?)').run(d.deviceId, d.signPublicKey, d.site, d.now, d.tokenId ?? null);
        return 'created';
      })
      .immediate();
  }

  async device(deviceId: string): Promise<DeviceRecord | undefined> {
    const r = this.db.prepare('SELECT device_id, sign_pk, site, enrolled_at, head_seq, head_hash, revoked_at FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow | undefined;
    return r && { deviceId: r.device_id, signPublicKey: new Uint8Array(r.sign_pk), site: r.site, enrolledAt: r.enrolled_at, headSeq: r.head_seq, headHash: u8(r.head_hash), revokedAt: r.revoked_at };
  }

  private touchStmt(deviceId: string, seen: DeviceSeen): void {
    this.db
      .prepare('UPDATE devices SET last_seen_at = ?, last_head = ?, last_oldest_pending_at = ?, last_skew_ms = ? WHERE device_id = ? AND (last_seen_at IS NULL OR last_seen_at <= ?)')
      .run(seen.at, seen.head, seen.oldestPendingAt, seen.skewMs, deviceId, seen.at);
  }

  async touch(deviceId: string, seen: DeviceSeen): Promise<void> {
    this.touchStmt(deviceId, seen);
  }

  async ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number, seen?: DeviceSeen): Promise<IngestResult> {
    const to = from + events.length - 1;
    return this.db
      .transaction((): IngestResult => {
        const d = this.db.prepare('SELECT head_seq, head_hash FROM devices WHERE device_id = ?').get(deviceId) as Pick<DeviceRow, 'head_seq' | 'head_hash'>;
        const head = { seq: d.head_seq, hash: d.head_hash };
        if (seen) this.touchStmt(deviceId, seen);
        const stored = new Map<number, Uint8Array>();
        if (from <= head.seq + 1) {
          const rows = this.db.prepare('SELECT seq, hash FROM events WHERE device_id = ? AND seq BETWEEN ? AND ?').all(deviceId, from - 1, Math.min(to, head.seq)) as { seq: number; hash: Uint8Array }[];
          for (const r of rows) stored.set(r.seq, r.hash);
        }
        const plan = planIngest(head, from, prev, genesis, events, (s) => stored.get(s));
        if (plan.kind === 'gap') return { kind: 'gap', ackSeq: head.seq, ackHash: head.hash };
        if (plan.kind === 'conflict') return { kind: 'conflict', seq: plan.seq, ackSeq: head.seq, ackHash: head.hash };
        const ins = this.db.prepare(
          'INSERT INTO events(device_id, seq, id, at, received_at, body, hash, sig, subject, key_id, clock_flag, site, result, auth_invalid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        let flagged = 0;
        for (const e of plan.fresh) {
          ins.run(deviceId, e.seq, e.id, e.at, receivedAt, e.body, e.hash, e.sig, e.subject, e.keyId, e.clockFlag, e.site, e.result, e.authInvalid ? 1 : 0);
          if (e.clockFlag) flagged++;
        }
        const last = plan.fresh[plan.fresh.length - 1];
        if (last) this.db.prepare('UPDATE devices SET head_seq = ?, head_hash = ? WHERE device_id = ?').run(last.seq, last.hash, deviceId);
        return { kind: 'ok', stored: plan.fresh.length, duplicates: plan.duplicates, flagged, ackSeq: last ? last.seq : head.seq, ackHash: last ? last.hash : head.hash };
      })
      .immediate();
  }

  async stats(): Promise<{ events: number; devices: { deviceId: string; site: string; events: number; ackSeq: number; flagged: number }[] }> {
    const rows = this.db
      .prepare(
        `SELECT d.device_id AS deviceId, d.site AS site, d.head_seq AS ackSeq,
                (SELECT COUNT(*) FROM events e WHERE e.device_id = d.device_id) AS events,
                (SELECT COUNT(*) FROM events e WHERE e.device_id = d.device_id AND e.clock_flag IS NOT NULL) AS flagged
         FROM devices d ORDER BY d.device_id`,
      )
      .all() as { deviceId: string; site: string; events: number; ackSeq: number; flagged: number }[];
    return { events: rows.reduce((n, r) => n + r.events, 0), devices: rows };
  }

  async events(deviceId: string): Promise<StoredEventRow[]> {
    const rows = this.db
      .prepare('SELECT seq, id, body, hash, sig, subject, key_id, clock_flag, received_at, purged_at FROM events WHERE device_id = ? ORDER BY seq')
      .all(deviceId) as { seq: number; id: string; body: string; hash: Uint8Array; sig: Uint8Array | null; subject: Uint8Array | null; key_id: string | null; clock_flag: string | null; received_at: number; purged_at: number | null }[];
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      body: r.body,
      hash: new Uint8Array(r.hash),
      sig: u8(r.sig),
      subject: u8(r.subject),
      keyId: r.key_id,
      clockFlag: r.clock_flag,
      receivedAt: r.received_at,
      purgedAt: r.purged_at,
    }));
  }

  async keyRows(): Promise<KeyRow[]> {
    const rows = this.db.prepare('SELECT key_id, created_at, box_pk, sealed FROM server_keys ORDER BY created_at, key_id').all() as { key_id: string; created_at: number; box_pk: Uint8Array; sealed: Uint8Array }[];
    return rows.map((r) => ({ keyId: r.key_id, createdAt: r.created_at, boxPublicKey: new Uint8Array(r.box_pk), sealed: new Uint8Array(r.sealed) }));
  }

  async addKeyRow(row: KeyRow, onlyIfNone: boolean): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (onlyIfNone && this.db.prepare('SELECT 1 FROM server_keys LIMIT 1').get()) return false;
        this.db.prepare('INSERT INTO server_keys(key_id, created_at, box_pk, sealed) VALUES (?, ?, ?, ?)').run(row.keyId, row.createdAt, row.boxPublicKey, row.sealed);
        return true;
      })
      .immediate();
  }

  async addEnrolToken(t: { tokenId: string; hash: Uint8Array; site: string; createdAt: number; expiresAt: number }): Promise<void> {
    this.db.prepare('INSERT INTO enrol_tokens(token_id, token_hash, site, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(t.tokenId, t.hash, t.site, t.createdAt, t.expiresAt);
  }

  async enrolTokenByHash(hash: Uint8Array, now: number): Promise<{ tokenId: string; site: string } | undefined> {
    const r = this.db.prepare('SELECT token_id, site FROM enrol_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?').get(hash, now) as { token_id: string; site: string } | undefined;
    return r && { tokenId: r.token_id, site: r.site };
  }

  async enrolTokens(): Promise<EnrolTokenRow[]> {
    const rows = this.db
      .prepare(
        `SELECT t.token_id, t.site, t.created_at, t.expires_at, t.revoked_at, (SELECT COUNT(*) FROM devices d WHERE d.enrol_token_id = t.token_id) AS used
         FROM enrol_tokens t ORDER BY t.created_at, t.token_id`,
      )
      .all() as { token_id: string; site: string; created_at: number; expires_at: number; revoked_at: number | null; used: number }[];
    return rows.map((r) => ({ tokenId: r.token_id, site: r.site, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, used: r.used }));
  }

  async revokeEnrolToken(tokenId: string, now: number): Promise<boolean> {
    return this.db.prepare('UPDATE enrol_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL').run(now, tokenId).changes === 1;
  }

  async revokeDevice(deviceId: string, now: number, reason: string): Promise<boolean> {
    return this.db.prepare('UPDATE devices SET revoked_at = ?, revoke_reason = ? WHERE device_id = ? AND revoked_at IS NULL').run(now, reason, deviceId).changes === 1;
  }

  async quarantine(deviceId: string, receivedAt: number, wire: Uint8Array, reason: string, maxPerDevice: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const n = (this.db.prepare('SELECT COUNT(*) AS n FROM quarantine WHERE device_id = ?').get(deviceId) as { n: number }).n;
        if (n >= maxPerDevice) return false;
        this.db.prepare('INSERT INTO quarantine(device_id, received_at, wire, reason) VALUES (?, ?, ?, ?)').run(deviceId, receivedAt, wire, reason);
        return true;
      })
      .immediate();
  }

  async quarantined(deviceId?: string): Promise<QuarantinedBatch[]> {
    const rows = this.db
      .prepare(`SELECT id, device_id, received_at, length(wire) AS bytes, reason FROM quarantine ${deviceId ? 'WHERE device_id = ?' : ''} ORDER BY id`)
      .all(...(deviceId ? [deviceId] : [])) as { id: number; device_id: string; received_at: number; bytes: number; reason: string }[];
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, receivedAt: r.received_at, bytes: r.bytes, reason: r.reason }));
  }

  async audit(e: AuditEntry): Promise<void> {
    this.db.prepare('INSERT INTO audit(at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(e.at, e.actor, e.action, e.target, e.detail);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    return (this.db.prepare('SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[]).reverse();
  }

  async fleet(o: { utcOffsetMinutes: number; days: number; now: number }): Promise<FleetData> {
    const shift = o.utcOffsetMinutes * 60_000;
    const fromDay = Math.floor((o.now + shift) / 86_400_000) - o.days + 1;
    const devices = this.db
      .prepare(
        `SELECT d.device_id, d.site, d.enrolled_at, d.head_seq, d.last_seen_at, d.last_head, d.last_oldest_pending_at, d.last_skew_ms, d.revoked_at, d.revoke_reason,
                (SELECT COUNT(*) FROM events e WHERE e.device_id = d.device_id) AS events,
                (SELECT COUNT(*) FROM quarantine q WHERE q.device_id = d.device_id) AS quarantined
         FROM devices d ORDER BY d.site, d.device_id`,
      )
      .all() as Record<string, number | string | null>[];
    const perSiteDay = this.db
      .prepare(`SELECT site, (at + ?) / 86400000 AS day, COUNT(*) AS count FROM events WHERE (at + ?) / 86400000 >= ? GROUP BY site, day ORDER BY day, site`)
      .all(shift, shift, fromDay) as { site: string; day: number; count: number }[];
    const perSite = this.db
      .prepare(
        `SELECT site, SUM(result = 'accepted') AS accepted, SUM(result = 'rejected') AS rejected, SUM(result = 'review') AS review, SUM(auth_invalid) AS invalid
         FROM events GROUP BY site ORDER BY site`,
      )
      .all() as { site: string; accepted: number; rejected: number; review: number; invalid: number }[];
    return {
      devices: devices.map((r) => ({
        deviceId: r.device_id as string,
        site: r.site as string,
        enrolledAt: r.enrolled_at as number,
        headSeq: r.head_seq as number,
        events: r.events as number,
        lastSeenAt: r.last_seen_at as number | null,
        // The lag as of now: what the device said it had, minus what has arrived since.
        pending: r.last_head === null ? null : Math.max(0, (r.last_head as number) - (r.head_seq as number)),
        oldestPendingAt: r.last_head === null || (r.last_head as number) <= (r.head_seq as number) ? null : (r.last_oldest_pending_at as number | null),
        skewMs: r.last_skew_ms as number | null,
        revokedAt: r.revoked_at as number | null,
        revokeReason: r.revoke_reason as string | null,
        quarantined: r.quarantined as number,
      })),
      perSiteDay: perSiteDay.map((r) => ({ site: r.site, day: dayString(r.day), count: r.count })),
      perSite,
    };
  }

  async purgeSubjects(before: number, now: number): Promise<number> {
    const n = this.db.prepare('UPDATE events SET subject = NULL, purged_at = ? WHERE received_at < ? AND purged_at IS NULL').run(now, before).changes;
    // Out of the WAL too: the old pages were zeroed by secure_delete when the checkpoint copies them back.
    if (n > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return n;
  }

  async storeAudit(deviceId: string, rows: AuditRow[], receivedAt: number): Promise<{ stored: number; duplicates: number }> {
    const insert = this.db.prepare('INSERT INTO device_audit(device_id, id, at, received_at, line, sig) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    return this.db
      .transaction(() => {
        let stored = 0;
        for (const r of rows) stored += insert.run(deviceId, r.id, r.at, receivedAt, r.line, r.sig).changes;
        return { stored, duplicates: rows.length - stored };
      })
      .immediate();
  }

  async auditLines(deviceId: string): Promise<AuditRow[]> {
    const rows = this.db.prepare('SELECT id, at, line, sig FROM device_audit WHERE device_id = ? ORDER BY at, id').all(deviceId) as Array<{ id: string; at: number; line: string; sig: Uint8Array }>;
    return rows.map((r) => ({ id: r.id, at: r.at, line: r.line, sig: new Uint8Array(r.sig) }));
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
