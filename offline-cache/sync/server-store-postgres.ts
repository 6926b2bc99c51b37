// The ingest server's PostgreSQL store, for a fleet: any number of stateless server
// processes share it. What makes them behave as one server: the per-device row lock
// (SELECT … FOR UPDATE) around each batch, the (device, seq) primary key, the keys held in
// the database, and migrations run under an advisory lock by whichever node starts first.
import pg from 'pg';
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

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS idk_devices (
     device_id TEXT PRIMARY KEY, sign_pk BYTEA NOT NULL, site TEXT NOT NULL, enrolled_at BIGINT NOT NULL,
     head_seq BIGINT NOT NULL DEFAULT 0, head_hash BYTEA
   );
   CREATE TABLE IF NOT EXISTS idk_events (
     device_id TEXT NOT NULL REFERENCES idk_devices(device_id), seq BIGINT NOT NULL, id UUID NOT NULL,
     at BIGINT NOT NULL, received_at BIGINT NOT NULL, body TEXT NOT NULL, hash BYTEA NOT NULL, sig BYTEA,
     subject BYTEA NOT NULL, clock_flag TEXT,
     PRIMARY KEY (device_id, seq)
   );`,
  `CREATE TABLE idk_server_keys (key_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, box_pk BYTEA NOT NULL, sealed BYTEA NOT NULL);
   ALTER TABLE idk_devices
     ADD COLUMN revoked_at BIGINT, ADD COLUMN revoke_reason TEXT, ADD COLUMN enrol_token_id TEXT,
     ADD COLUMN last_seen_at BIGINT, ADD COLUMN last_head BIGINT, ADD COLUMN last_oldest_pending_at BIGINT, ADD COLUMN last_skew_ms BIGINT;
   ALTER TABLE idk_events
     ALTER COLUMN subject DROP NOT NULL,
     ADD COLUMN key_id TEXT, ADD COLUMN site TEXT, ADD COLUMN result TEXT, ADD COLUMN auth_invalid BOOLEAN, ADD COLUMN purged_at BIGINT;
   UPDATE idk_events SET key_id = 'legacy', site = (body::jsonb)->>'site', result = (body::jsonb)->>'result',
     auth_invalid = 'invalid' IN ((body::jsonb)->'auth'->>'passive', (body::jsonb)->'auth'->>'chip', (body::jsonb)->'auth'->>'active');
   ALTER TABLE idk_events ALTER COLUMN site SET NOT NULL, ALTER COLUMN result SET NOT NULL, ALTER COLUMN auth_invalid SET NOT NULL;
   CREATE INDEX idk_events_received ON idk_events(received_at) WHERE purged_at IS NULL;
   CREATE TABLE idk_enrol_tokens (
     token_id TEXT PRIMARY KEY, token_hash BYTEA NOT NULL UNIQUE, site TEXT NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT
   );
   CREATE TABLE idk_quarantine (
     id BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL REFERENCES idk_devices(device_id), received_at BIGINT NOT NULL, wire BYTEA NOT NULL, reason TEXT NOT NULL
   );
   CREATE TABLE idk_audit (
     id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL
   );
   CREATE FUNCTION idk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
     $$ BEGIN RAISE EXCEPTION 'idk_audit is append-only'; END $$;
   CREATE TRIGGER idk_audit_no_change BEFORE UPDATE OR DELETE ON idk_audit FOR EACH ROW EXECUTE FUNCTION idk_audit_append_only();
   CREATE TRIGGER idk_audit_no_truncate BEFORE TRUNCATE ON idk_audit FOR EACH STATEMENT EXECUTE FUNCTION idk_audit_append_only();`,
  // 3: audit lines of the kiosks' local identity service (apart from the operators' idk_audit).
  `CREATE TABLE idk_device_audit (
     device_id TEXT NOT NULL REFERENCES idk_devices(device_id), id UUID NOT NULL, at BIGINT NOT NULL,
     received_at BIGINT NOT NULL, line TEXT NOT NULL, sig BYTEA NOT NULL,
     PRIMARY KEY (device_id, id)
   );`,
];

/**
 * Drops everything the migrations made, for a test or benchmark database only. Read from the
 * migrations themselves (plus idk_schema, made before them), so a table a new migration adds
 * is dropped too: a hand-kept list once missed idk_device_audit and broke the bench.
 */
export function dropSchemaSql(): string {
  const made = (kind: string): string[] => [...MIGRATIONS.join('\n').matchAll(new RegExp(`CREATE ${kind} (?:IF NOT EXISTS )?(idk_\\w+)`, 'g'))].map((m) => m[1]!);
  return `DROP TABLE IF EXISTS ${[...made('TABLE'), 'idk_schema'].join(', ')} CASCADE; ${made('FUNCTION').map((f) => `DROP FUNCTION IF EXISTS ${f}() CASCADE;`).join(' ')}`;
}

/** One advisory-lock key for the schema, shared by every node. */
const SCHEMA_LOCK = 7346001;

const u8 = (b: Buffer | null): Uint8Array | null => (b ? new Uint8Array(b) : null);
const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export class PostgresServerStore implements ServerStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresServerStore> {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 8 });
    // An idle client's socket error must not crash the server; the next query reconnects.
    pool.on('error', () => undefined);
    const s = new PostgresServerStore(pool);
    const c = await pool.connect();
    try {
      // Serialise migrations between servers starting together; each runs once, in order.
      await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      try {
        await c.query('CREATE TABLE IF NOT EXISTS idk_schema (version INT NOT NULL)');
        const v = (await c.query<{ version: number }>('SELECT version FROM idk_schema')).rows[0]?.version;
        let version = v ?? 0;
        if (v === undefined) {
          // A database from before the version table: version 1 if its tables exist.
          const old = await c.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'idk_events' AND table_schema = current_schema()");
          version = old.rowCount ? 1 : 0;
          await c.query('INSERT INTO idk_schema(version) VALUES ($1)', [version]);
        }
        for (let i = version; i < MIGRATIONS.length; i++) {
          await c.query('BEGIN');
          await c.query(MIGRATIONS[i]!);
          await c.query('UPDATE idk_schema SET version = $1', [i + 1]);
          await c.query('COMMIT');
        }
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
      }
    } finally {
      c.release();
    }
    return s;
  }

  async enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number; tokenId?: string }): Promise<'created' | 'same' | 'conflict'> {
    const r = await this.pool.query(
      'INSERT INTO idk_devices(device_id, sign_pk, site, enrolled_at, enrol_token_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id) DO NOTHING',
      [d.deviceId, Buffer.from(d.signPublicKey), d.site, d.now, d.tokenId ?? null],
    );
    if (r.rowCount === 1) return 'created';
    const ex = await this.pool.query<{ sign_pk: Buffer }>('SELECT sign_pk FROM idk_devices WHERE device_id = $1', [d.deviceId]);
    return ex.rows[0] && Buffer.compare(ex.rows[0].sign_pk, Buffer.from(d.signPublicKey)) === 0 ? 'same' : 'conflict';
  }

  async device(deviceId: string): Promise<DeviceRecord | undefined> {
    const r = await this.pool.query<{ device_id: string; sign_pk: Buffer; site: string; enrolled_at: string; head_seq: string; head_hash: Buffer | null; revoked_at: string | null }>(
      'SELECT device_id, sign_pk, site, enrolled_at, head_seq, head_hash, revoked_at FROM idk_devices WHERE device_id = $1',
      [deviceId],
    );
    const d = r.rows[0];
    return (
      d && { deviceId: d.device_id, signPublicKey: new Uint8Array(d.sign_pk), site: d.site, enrolledAt: Number(d.enrolled_at), headSeq: Number(d.head_seq), headHash: u8(d.head_hash), revokedAt: num(d.revoked_at) }
    );
  }

  private static readonly TOUCH =
    'UPDATE idk_devices SET last_seen_at = $2, last_head = $3, last_oldest_pending_at = $4, last_skew_ms = $5 WHERE device_id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $2)';

  async touch(deviceId: string, seen: DeviceSeen): Promise<void> {
    await this.pool.query(PostgresServerStore.TOUCH, [deviceId, seen.at, seen.head, seen.oldestPendingAt, seen.skewMs]);
  }

  async ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number, seen?: DeviceSeen): Promise<IngestResult> {
    const to = from + events.length - 1;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const d = (await c.query<{ head_seq: string; head_hash: Buffer | null }>('SELECT head_seq, head_hash FROM idk_devices WHERE device_id = $1 FOR UPDATE', [deviceId])).rows[0]!;
      const head = { seq: Number(d.head_seq), hash: u8(d.head_hash) };
      const stored = new Map<number, Uint8Array>();
      if (from <= head.seq + 1) {
        const rows = await c.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM idk_events WHERE device_id = $1 AND seq BETWEEN $2 AND $3', [deviceId, from - 1, Math.min(to, head.seq)]);
        for (const r of rows.rows) stored.set(Number(r.seq), new Uint8Array(r.hash));
      }
      const plan = planIngest(head, from, prev, genesis, events, (s) => stored.get(s));
      if (plan.kind !== 'ok') {
        await c.query('ROLLBACK');
        if (seen) await this.touch(deviceId, seen);
        return plan.kind === 'gap' ? { kind: 'gap', ackSeq: head.seq, ackHash: head.hash } : { kind: 'conflict', seq: plan.seq, ackSeq: head.seq, ackHash: head.hash };
      }
      const f = plan.fresh;
      if (f.length > 0) {
        // ON CONFLICT DO NOTHING is a second guard: the row lock above already serialises this device.
        await c.query(
          `INSERT INTO idk_events(device_id, seq, id, at, received_at, body, hash, sig, subject, key_id, clock_flag, site, result, auth_invalid)
           SELECT $1, * FROM unnest($2::bigint[], $3::uuid[], $4::bigint[], $5::bigint[], $6::text[], $7::bytea[], $8::bytea[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[])
           ON CONFLICT (device_id, seq) DO NOTHING`,
          [
            deviceId,
            f.map((e) => e.seq),
            f.map((e) => e.id),
            f.map((e) => e.at),
            f.map(() => receivedAt),
            f.map((e) => e.body),
            f.map((e) => Buffer.from(e.hash)),
            f.map((e) => (e.sig ? Buffer.from(e.sig) : null)),
            f.map((e) => Buffer.from(e.subject)),
            f.map((e) => e.keyId),
            f.map((e) => e.clockFlag),
            f.map((e) => e.site),
            f.map((e) => e.result),
            f.map((e) => e.authInvalid),
          ],
        );
      }
      const last = f[f.length - 1];
      // One update of the locked row: the new head and what the device said about itself.
      await c.query(
        `UPDATE idk_devices SET head_seq = $2, head_hash = $3,
           last_seen_at = GREATEST(last_seen_at, $4), last_head = CASE WHEN last_seen_at IS NULL OR last_seen_at <= $4 THEN $5 ELSE last_head END,
           last_oldest_pending_at = CASE WHEN last_seen_at IS NULL OR last_seen_at <= $4 THEN $6 ELSE last_oldest_pending_at END,
           last_skew_ms = CASE WHEN last_seen_at IS NULL OR last_seen_at <= $4 THEN $7 ELSE last_skew_ms END
         WHERE device_id = $1`,
        [deviceId, last ? last.seq : head.seq, last ? Buffer.from(last.hash) : head.hash ? Buffer.from(head.hash) : null, seen?.at ?? null, seen?.head ?? null, seen?.oldestPendingAt ?? null, seen?.skewMs ?? null],
      );
      await c.query('COMMIT');
      return {
        kind: 'ok',
        stored: f.length,
        duplicates: plan.duplicates,
        flagged: f.filter((e) => e.clockFlag).length,
        ackSeq: last ? last.seq : head.seq,
        ackHash: last ? last.hash : head.hash,
      };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async stats(): Promise<{ events: number; devices: { deviceId: string; site: string; events: number; ackSeq: number; flagged: number }[] }> {
    const r = await this.pool.query<{ device_id: string; site: string; head_seq: string; events: string; flagged: string }>(
      `SELECT d.device_id, d.site, d.head_seq, COUNT(e.seq) AS events, COUNT(e.clock_flag) AS flagged
       FROM idk_devices d LEFT JOIN idk_events e ON e.device_id = d.device_id
       GROUP BY d.device_id, d.site, d.head_seq ORDER BY d.device_id`,
    );
    const devices = r.rows.map((x) => ({ deviceId: x.device_id, site: x.site, ackSeq: Number(x.head_seq), events: Number(x.events), flagged: Number(x.flagged) }));
    return { events: devices.reduce((n, d) => n + d.events, 0), devices };
  }

  async events(deviceId: string): Promise<StoredEventRow[]> {
    const r = await this.pool.query<{
      seq: string;
      id: string;
      body: string;
      hash: Buffer;
      sig: Buffer | null;
      subject: Buffer | null;
      key_id: string | null;
      clock_flag: string | null;
      received_at: string;
      purged_at: string | null;
    }>('SELECT seq, id, body, hash, sig, subject, key_id, clock_flag, received_at, purged_at FROM idk_events WHERE device_id = $1 ORDER BY seq', [deviceId]);
    return r.rows.map((x) => ({
      seq: Number(x.seq),
      id: x.id,
      body: x.body,
      hash: new Uint8Array(x.hash),
      sig: u8(x.sig),
      subject: u8(x.subject),
      keyId: x.key_id,
      clockFlag: x.clock_flag,
      receivedAt: Number(x.received_at),
      purgedAt: num(x.purged_at),
    }));
  }

  async keyRows(): Promise<KeyRow[]> {
    const r = await this.pool.query<{ key_id: string; created_at: string; box_pk: Buffer; sealed: Buffer }>('SELECT key_id, created_at, box_pk, sealed FROM idk_server_keys ORDER BY created_at, key_id');
    return r.rows.map((x) => ({ keyId: x.key_id, createdAt: Number(x.created_at), boxPublicKey: new Uint8Array(x.box_pk), sealed: new Uint8Array(x.sealed) }));
  }

  async addKeyRow(row: KeyRow, onlyIfNone: boolean): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Nodes starting together on an empty database: one creates the first key set, the others read it.
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK + 1]);
      if (onlyIfNone && (await c.query('SELECT 1 FROM idk_server_keys LIMIT 1')).rowCount) {
        await c.query('ROLLBACK');
        return false;
      }
      await c.query('INSERT INTO idk_server_keys(key_id, created_at, box_pk, sealed) VALUES ($1, $2, $3, $4)', [row.keyId, row.createdAt, Buffer.from(row.boxPublicKey), Buffer.from(row.sealed)]);
      await c.query('COMMIT');
      return true;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async addEnrolToken(t: { tokenId: string; hash: Uint8Array; site: string; createdAt: number; expiresAt: number }): Promise<void> {
    await this.pool.query('INSERT INTO idk_enrol_tokens(token_id, token_hash, site, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [t.tokenId, Buffer.from(t.hash), t.site, t.createdAt, t.expiresAt]);
  }

  async enrolTokenByHash(hash: Uint8Array, now: number): Promise<{ tokenId: string; site: string } | undefined> {
    const r = await this.pool.query<{ token_id: string; site: string }>('SELECT token_id, site FROM idk_enrol_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2', [Buffer.from(hash), now]);
    const x = r.rows[0];
    return x && { tokenId: x.token_id, site: x.site };
  }

  async enrolTokens(): Promise<EnrolTokenRow[]> {
    const r = await this.pool.query<{ token_id: string; site: string; created_at: string; expires_at: string; revoked_at: string | null; used: string }>(
      `SELECT t.token_id, t.site, t.created_at, t.expires_at, t.revoked_at, (SELECT COUNT(*) FROM idk_devices d WHERE d.enrol_token_id = t.token_id) AS used
       FROM idk_enrol_tokens t ORDER BY t.created_at, t.token_id`,
    );
    return r.rows.map((x) => ({ tokenId: x.token_id, site: x.site, createdAt: Number(x.created_at), expiresAt: Number(x.expires_at), revokedAt: num(x.revoked_at), used: Number(x.used) }));
  }

  async revokeEnrolToken(tokenId: string, now: number): Promise<boolean> {
    return (await this.pool.query('UPDATE idk_enrol_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL', [tokenId, now])).rowCount === 1;
  }

  async revokeDevice(deviceId: string, now: number, reason: string): Promise<boolean> {
    return (await this.pool.query('UPDATE idk_devices SET revoked_at = $2, revoke_reason = $3 WHERE device_id = $1 AND revoked_at IS NULL', [deviceId, now, reason])).rowCount === 1;
  }

  async quarantine(deviceId: string, receivedAt: number, wire: Uint8Array, reason: string, maxPerDevice: number): Promise<boolean> {
    // The count and the insert in one statement; two racing inserts may pass the cap by one, which is harmless.
    const r = await this.pool.query(
      `INSERT INTO idk_quarantine(device_id, received_at, wire, reason)
       SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM idk_quarantine WHERE device_id = $1) < $5`,
      [deviceId, receivedAt, Buffer.from(wire), reason, maxPerDevice],
    );
    return r.rowCount === 1;
  }

  async quarantined(deviceId?: string): Promise<QuarantinedBatch[]> {
    const r = await this.pool.query<{ id: string; device_id: string; received_at: string; bytes: number; reason: string }>(
      `SELECT id, device_id, received_at, octet_length(wire) AS bytes, reason FROM idk_quarantine ${deviceId ? 'WHERE device_id = $1' : ''} ORDER BY id`,
      deviceId ? [deviceId] : [],
    );
    return r.rows.map((x) => ({ id: Number(x.id), deviceId: x.device_id, receivedAt: Number(x.received_at), bytes: Number(x.bytes), reason: x.reason }));
  }

  async audit(e: AuditEntry): Promise<void> {
    await this.pool.query('INSERT INTO idk_audit(at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [e.at, e.actor, e.action, e.target, e.detail]);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    const r = await this.pool.query<{ at: string; actor: string; action: string; target: string; detail: string }>('SELECT at, actor, action, target, detail FROM idk_audit ORDER BY id DESC LIMIT $1', [limit]);
    return r.rows.map((x) => ({ ...x, at: Number(x.at) })).reverse();
  }

  async fleet(o: { utcOffsetMinutes: number; days: number; now: number }): Promise<FleetData> {
    const shift = o.utcOffsetMinutes * 60_000;
    const fromDay = Math.floor((o.now + shift) / 86_400_000) - o.days + 1;
    const [devices, perSiteDay, perSite] = await Promise.all([
      this.pool.query<{ device_id: string; site: string; enrolled_at: string; head_seq: string; last_seen_at: string | null; last_head: string | null; last_oldest_pending_at: string | null; last_skew_ms: string | null; revoked_at: string | null; revoke_reason: string | null; events: string; quarantined: string }>(
        `SELECT d.device_id, d.site, d.enrolled_at, d.head_seq, d.last_seen_at, d.last_head, d.last_oldest_pending_at, d.last_skew_ms, d.revoked_at, d.revoke_reason,
                (SELECT COUNT(*) FROM idk_events e WHERE e.device_id = d.device_id) AS events,
                (SELECT COUNT(*) FROM idk_quarantine q WHERE q.device_id = d.device_id) AS quarantined
         FROM idk_devices d ORDER BY d.site, d.device_id`,
      ),
      this.pool.query<{ site: string; day: string; count: string }>(
        `SELECT site, (at + $1) / 86400000 AS day, COUNT(*) AS count FROM idk_events WHERE (at + $1) / 86400000 >= $2 GROUP BY site, day ORDER BY day, site`,
        [shift, fromDay],
      ),
      this.pool.query<{ site: string; accepted: string; rejected: string; review: string; invalid: string }>(
        `SELECT site, COUNT(*) FILTER (WHERE result = 'accepted') AS accepted, COUNT(*) FILTER (WHERE result = 'rejected') AS rejected,
                COUNT(*) FILTER (WHERE result = 'review') AS review, COUNT(*) FILTER (WHERE auth_invalid) AS invalid
         FROM idk_events GROUP BY site ORDER BY site`,
      ),
    ]);
    return {
      devices: devices.rows.map((r) => ({
        deviceId: r.device_id,
        site: r.site,
        enrolledAt: Number(r.enrolled_at),
        headSeq: Number(r.head_seq),
        events: Number(r.events),
        lastSeenAt: num(r.last_seen_at),
        // The lag as of now: what the device said it had, minus what has arrived since.
        pending: r.last_head === null ? null : Math.max(0, Number(r.last_head) - Number(r.head_seq)),
        oldestPendingAt: r.last_head === null || Number(r.last_head) <= Number(r.head_seq) ? null : num(r.last_oldest_pending_at),
        skewMs: num(r.last_skew_ms),
        revokedAt: num(r.revoked_at),
        revokeReason: r.revoke_reason,
        quarantined: Number(r.quarantined),
      })),
      perSiteDay: perSiteDay.rows.map((r) => ({ site: r.site, day: dayString(Number(r.day)), count: Number(r.count) })),
      perSite: perSite.rows.map((r) => ({ site: r.site, accepted: Number(r.accepted), rejected: Number(r.rejected), review: Number(r.review), invalid: Number(r.invalid) })),
    };
  }

  async purgeSubjects(before: number, now: number): Promise<number> {
    const n = (await this.pool.query('UPDATE idk_events SET subject = NULL, purged_at = $2 WHERE received_at < $1 AND purged_at IS NULL', [before, now])).rowCount ?? 0;
    // The old row versions (with the sealed subject) stay in the heap until vacuumed.
    if (n > 0) await this.pool.query('VACUUM idk_events');
    return n;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async storeAudit(deviceId: string, rows: AuditRow[], receivedAt: number): Promise<{ stored: number; duplicates: number }> {
    if (rows.length === 0) return { stored: 0, duplicates: 0 };
    // One statement: the lines of one request land together or not at all.
    const r = await this.pool.query(
      `INSERT INTO idk_device_audit(device_id, id, at, received_at, line, sig)
       SELECT $1, x.id, x.at, $2, x.line, x.sig FROM UNNEST($3::uuid[], $4::bigint[], $5::text[], $6::bytea[]) AS x(id, at, line, sig)
       ON CONFLICT DO NOTHING`,
      [deviceId, receivedAt, rows.map((x) => x.id), rows.map((x) => x.at), rows.map((x) => x.line), rows.map((x) => Buffer.from(x.sig))],
    );
    const stored = r.rowCount ?? 0;
    return { stored, duplicates: rows.length - stored };
  }

  async auditLines(deviceId: string): Promise<AuditRow[]> {
    const r = await this.pool.query<{ id: string; at: string; line: string; sig: Buffer }>('SELECT id, at, line, sig FROM idk_device_audit WHERE device_id = $1 ORDER BY at, id', [deviceId]);
    return r.rows.map((x) => ({ id: x.id, at: Number(x.at), line: x.line, sig: new Uint8Array(x.sig) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
