// The ingest server's SQLite store (the default: one machine, one file).
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../store.js';
import { type DeviceRecord, type IncomingEvent, type IngestResult, type ServerStore, type StoredEventRow, planIngest } from './server-store.js';

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
];

interface DeviceRow {
  device_id: string;
  sign_pk: Uint8Array;
  site: string;
  enrolled_at: number;
  head_seq: number;
  head_hash: Uint8Array | null;
}

export class SqliteServerStore implements ServerStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;

  constructor(path: string) {
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
    closeSync(openSync(path, 'a', 0o600));
    if (process.platform !== 'win32') chmodSync(path, 0o600);
    this.db = openDatabase(path, 'FULL');
    const v = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = v; i < SCHEMA.length; i++) {
      this.db.transaction(() => {
        this.db.exec(SCHEMA[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      }).immediate();
    }
  }

  async enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number }): Promise<'created' | 'same' | 'conflict'> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT sign_pk FROM devices WHERE device_id = ?').get(d.deviceId) as { sign_pk: Uint8Array } | undefined;
        if (row) return Buffer.compare(Buffer.from(row.sign_pk), Buffer.from(d.signPublicKey)) === 0 ? 'same' : 'conflict';
        this.db.prepare('INSERT INTO devices(device_id, sign_pk, site, enrolled_at) VALUES (?, ?, ?, ?)').run(d.deviceId, d.signPublicKey, d.site, d.now);
        return 'created';
      })
      .immediate();
  }

  async device(deviceId: string): Promise<DeviceRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow | undefined;
    return r && { deviceId: r.device_id, signPublicKey: new Uint8Array(r.sign_pk), site: r.site, enrolledAt: r.enrolled_at, headSeq: r.head_seq, headHash: r.head_hash && new Uint8Array(r.head_hash) };
  }

  async ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number): Promise<IngestResult> {
    const to = from + events.length - 1;
    return this.db
      .transaction((): IngestResult => {
        const d = this.db.prepare('SELECT head_seq, head_hash FROM devices WHERE device_id = ?').get(deviceId) as Pick<DeviceRow, 'head_seq' | 'head_hash'>;
        const head = { seq: d.head_seq, hash: d.head_hash };
        const stored = new Map<number, Uint8Array>();
        if (from <= head.seq + 1) {
          const rows = this.db.prepare('SELECT seq, hash FROM events WHERE device_id = ? AND seq BETWEEN ? AND ?').all(deviceId, from - 1, Math.min(to, head.seq)) as { seq: number; hash: Uint8Array }[];
          for (const r of rows) stored.set(r.seq, r.hash);
        }
        const plan = planIngest(head, from, prev, genesis, events, (s) => stored.get(s));
        if (plan.kind === 'gap') return { kind: 'gap', ackSeq: head.seq, ackHash: head.hash };
        if (plan.kind === 'conflict') return { kind: 'conflict', seq: plan.seq, ackSeq: head.seq, ackHash: head.hash };
        const ins = this.db.prepare('INSERT INTO events(device_id, seq, id, at, received_at, body, hash, sig, subject, clock_flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
        let flagged = 0;
        for (const e of plan.fresh) {
          ins.run(deviceId, e.seq, e.id, e.at, receivedAt, e.body, e.hash, e.sig, e.subject, e.clockFlag);
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
    const rows = this.db.prepare('SELECT seq, id, body, hash, sig, subject, clock_flag FROM events WHERE device_id = ? ORDER BY seq').all(deviceId) as Array<Omit<StoredEventRow, 'clockFlag'> & { clock_flag: string | null }>;
    return rows.map((r) => ({ seq: r.seq, id: r.id, body: r.body, hash: new Uint8Array(r.hash), sig: r.sig && new Uint8Array(r.sig), subject: new Uint8Array(r.subject), clockFlag: r.clock_flag }));
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
