// Audit lines on the PostgreSQL ingest store: stored once each by (device, id), read back
// byte for byte with their signatures. Needs the cluster of .ci/services.d/postgres.sh.
import { randomUUID } from 'node:crypto';
import { URL_PG, pgClient } from '../helpers/pg.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import { recordAudit, pendingAudit, verifyAuditLine } from '../../offline-cache/audit.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { tempDir } from '../helpers/cards.js';

let db: PostgresServerStore;

beforeAll(async () => {
  await (await pgClient(URL_PG)).end();
  db = await PostgresServerStore.open(URL_PG);
});

afterAll(async () => {
  await db?.close();
});

describe('audit lines in PostgreSQL', () => {
  it('are stored once each and read back with signatures that verify', async () => {
    const s = openLocalStore({ dataDir: tempDir('idk-audit-pg-') });
    try {
      // A device of its own, so runs sharing the database do not see each other's lines.
      const deviceId = s.keys.deviceId;
      expect(await db.enrol({ deviceId, signPublicKey: s.keys.signPublicKey, site: 'pg-audit', now: Date.now() })).toBe('created');
      for (let i = 0; i < 5; i++) recordAudit(s, { client: `c${i}`, at: Date.now() + i, what: 'GET /v1/status', status: 200 });
      const rows = pendingAudit(s, 10).map((l) => ({ id: l.id, at: (JSON.parse(l.line) as { at: number }).at, line: l.line, sig: new Uint8Array(Buffer.from(l.sig, 'base64')) }));
      expect(await db.storeAudit(deviceId, rows, Date.now())).toEqual({ stored: 5, duplicates: 0 });
      expect(await db.storeAudit(deviceId, rows.slice(2), Date.now())).toEqual({ stored: 0, duplicates: 3 });
      const back = await db.auditLines(deviceId);
      expect(back.map((b) => b.id)).toEqual(rows.map((r) => r.id));
      for (const b of back) expect(verifyAuditLine({ line: b.line, sig: Buffer.from(b.sig).toString('base64') }, s.keys.signPublicKey)).toBe(true);
      expect(await db.auditLines(randomUUID())).toEqual([]);
    } finally {
      s.close();
    }
  });
});
