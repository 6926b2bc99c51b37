// The ingest server's PostgreSQL store, for a fleet that outgrows one machine.
import pg from 'pg';
import { type DeviceRecord, type IncomingEvent, type IngestResult, type ServerStore, type StoredEventRow, planIngest } from './server-store.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS idk_devices (
    device_id TEXT PRIMARY KEY, sign_pk BYTEA NOT NULL, site TEXT NOT NULL, enrolled_at BIGINT NOT NULL,
    head_seq BIGINT NOT NULL DEFAULT 0, head_hash BYTEA
  );
  CREATE TABLE IF NOT EXISTS idk_events (
    device_id TEXT NOT NULL REFERENCES idk_devices(device_id), seq BIGINT NOT NULL, id UUID NOT NULL,
    at BIGINT NOT NULL, received_at BIGINT NOT NULL, body TEXT NOT NULL, hash BYTEA NOT NULL, sig BYTEA,
    subject BYTEA NOT NULL, clock_flag TEXT,
    PRIMARY KEY (device_id, seq)
  );`;

const u8 = (b: Buffer | null): Uint8Array | null => (b ? new Uint8Array(b) : null);

export class PostgresServerStore implements ServerStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  static async open(url: string): Promise<PostgresServerStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    // An idle client's socket error must not crash the server; the next query reconnects.
    pool.on('error', () => undefined);
    const s = new PostgresServerStore(pool);
    const c = await pool.connect();
    try {
      // Serialise schema creation between servers starting together.
      await c.query('SELECT pg_advisory_lock(7346001)');
      await c.query(SCHEMA);
      await c.query('SELECT pg_advisory_unlock(7346001)');
    } finally {
      c.release();
    }
    return s;
  }

  async enrol(d: { deviceId: string; signPublicKey: Uint8Array; site: string; now: number }): Promise<'created' | 'same' | 'conflict'> {
    const r = await this.pool.query(
      'INSERT INTO idk_devices(device_id, sign_pk, site, enrolled_at) VALUES ($1, $2, $3, $4) ON CONFLICT (device_id) DO NOTHING',
      [d.deviceId, Buffer.from(d.signPublicKey), d.site, d.now],
    );
    if (r.rowCount === 1) return 'created';
    const ex = await this.pool.query<{ sign_pk: Buffer }>('SELECT sign_pk FROM idk_devices WHERE device_id = $1', [d.deviceId]);
    return ex.rows[0] && Buffer.compare(ex.rows[0].sign_pk, Buffer.from(d.signPublicKey)) === 0 ? 'same' : 'conflict';
  }

  async device(deviceId: string): Promise<DeviceRecord | undefined> {
    const r = await this.pool.query<{ device_id: string; sign_pk: Buffer; site: string; enrolled_at: string; head_seq: string; head_hash: Buffer | null }>(
      'SELECT * FROM idk_devices WHERE device_id = $1',
      [deviceId],
    );
    const d = r.rows[0];
    return d && { deviceId: d.device_id, signPublicKey: new Uint8Array(d.sign_pk), site: d.site, enrolledAt: Number(d.enrolled_at), headSeq: Number(d.head_seq), headHash: u8(d.head_hash) };
  }

  async ingest(deviceId: string, from: number, prev: Uint8Array, genesis: Uint8Array, events: IncomingEvent[], receivedAt: number): Promise<IngestResult> {
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
        return plan.kind === 'gap' ? { kind: 'gap', ackSeq: head.seq, ackHash: head.hash } : { kind: 'conflict', seq: plan.seq, ackSeq: head.seq, ackHash: head.hash };
      }
      const f = plan.fresh;
      if (f.length > 0) {
        // ON CONFLICT DO NOTHING is a second guard: the row lock above already serialises this device.
        await c.query(
          `INSERT INTO idk_events(device_id, seq, id, at, received_at, body, hash, sig, subject, clock_flag)
           SELECT $1, * FROM unnest($2::bigint[], $3::uuid[], $4::bigint[], $5::bigint[], $6::text[], $7::bytea[], $8::bytea[], $9::bytea[], $10::text[])
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
            f.map((e) => e.clockFlag),
          ],
        );
        const last = f[f.length - 1]!;
        await c.query('UPDATE idk_devices SET head_seq = $2, head_hash = $3 WHERE device_id = $1', [deviceId, last.seq, Buffer.from(last.hash)]);
      }
      await c.query('COMMIT');
      const last = f[f.length - 1];
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
    const r = await this.pool.query<{ seq: string; id: string; body: string; hash: Buffer; sig: Buffer | null; subject: Buffer; clock_flag: string | null }>(
      'SELECT seq, id, body, hash, sig, subject, clock_flag FROM idk_events WHERE device_id = $1 ORDER BY seq',
      [deviceId],
    );
    return r.rows.map((x) => ({ seq: Number(x.seq), id: x.id, body: x.body, hash: new Uint8Array(x.hash), sig: u8(x.sig), subject: new Uint8Array(x.subject), clockFlag: x.clock_flag }));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
