// `read --record` and `queue status|flush|export` on a real read of the demo CCCD card.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSealed } from '../../offline-cache/crypto-box.js';
import { unb64 } from '../../offline-cache/canonical.js';
import { keyringIn } from '../helpers/ingest.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { queueCommand } from '../../main/commands/queue.js';
import { demoCard } from '../../main/paths.js';
import { runRead } from '../../main/read/run-read.js';
import { cliVerification, recordRead } from '../../main/read/record.js';
import { verificationEvent } from '../../main/verify/event.js';
import { tempDir } from '../helpers/cards.js';

afterEach(() => vi.restoreAllMocks());

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await queueCommand.run(argv, { lang: 'en' });
  vi.restoreAllMocks();
  return { code, out };
}

describe('read --record and queue', () => {
  it('records a real read, reports it queued, flushes it to a server, exports it sealed', async () => {
    const read = await runRead({ card: demoCard('cccd'), can: '012345' });
    const { report } = read;
    const v = verificationEvent(cliVerification(read), { site: 'Công an phường 1', operator: 'cb01' });
    // No trust store and no face: the one rule says a person must look (docs/authenticity.md).
    expect(report.authenticity.passive).toBe('no-trust-anchor');
    expect(v.result).toBe('review');
    expect(v.reader).toBe('Software chip (cccd)');
    expect(v.holder.idNumber).toBe(report.vn!.idNumber);
    const dataDir = tempDir('idk-rec-');
    const rec = recordRead(read, { dataDir, site: 'Công an phường 1', operator: 'cb01' });
    expect(rec.seq).toBe(1);

    const st = await capture(['status', '--json', '--data-dir', dataDir]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out)).toMatchObject({ recorded: 1, delivered: 0, pending: 1, server: null });

    const srvDir = tempDir('idk-rec-srv-');
    const db = new SqliteServerStore(join(srvDir, 'ingest.sqlite'));
    const keys = await keyringIn(db, srvDir);
    const server = createSyncServer({ store: db, keys, enrolToken: 'tok', operatorToken: 'operator-tok' });
    const url = await listen(server);
    try {
      const fl = await capture(['flush', '--json', '--data-dir', dataDir, '--server', url, '--token', 'tok', '--site', 'P1']);
      expect(fl.code).toBe(0);
      expect(JSON.parse(fl.out)).toMatchObject({ acked: 1, pending: 0 });
      expect((await db.stats()).events).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await db.close();
    }
    const outFile = join(dataDir, 'export.jsonl');
    expect((await capture(['export', '--data-dir', dataDir, '--out', outFile])).code).toBe(0);
    const line = JSON.parse(readFileSync(outFile, 'utf8').trim()) as { body: { seq: number }; subjectSealed: string; delivered: boolean };
    expect(line.body.seq).toBe(1);
    expect(line.delivered).toBe(true);
    expect(readFileSync(outFile, 'utf8')).not.toContain(report.vn!.fullName);
    // Only the server can open the personal data in an export.
    const subject = JSON.parse(new TextDecoder().decode(openSealed(keys.current.boxSecretKey, unb64(line.subjectSealed))!)) as { idNumber: string };
    expect(subject.idNumber).toBe(report.vn!.idNumber);
  });

  it('rejects a bad action with a usage error', async () => {
    await expect(queueCommand.run(['purge', '--data-dir', tempDir()], { lang: 'en' })).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
  });
});
