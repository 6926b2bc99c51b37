// `idkiosk queue status|flush|export`: the local outbox of verification events.
import { usageError } from '../../core/errors.js';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Lang } from '../../core/errors.js';
import { exportEvents, queueCounts } from '../../offline-cache/outbox.js';
import { alerts } from '../../offline-cache/retention.js';
import { type LocalStore, getMeta, openLocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { defaultDataDir } from '../paths.js';
import type { Command } from './command.js';

const USAGE = 'queue status|flush|export [--json] [--data-dir DIR] [--server URL --token TOKEN [--site NAME]] [--timeout SECONDS] [--out FILE] [--undelivered]';

function statusOf(store: LocalStore): Record<string, unknown> {
  const c = queueCounts(store);
  const offset = getMeta(store, 'clock_offset');
  const lastOk = getMeta(store, 'last_sync_ok');
  return {
    deviceId: store.keys.deviceId,
    dataDir: store.dataDir,
    keyProtection: store.keys.protection,
    recorded: c.head,
    delivered: c.acked,
    pending: c.pending,
    storedLocally: c.stored,
    oldestPendingAt: c.oldestPendingAt === null ? null : new Date(c.oldestPendingAt).toISOString(),
    queueLimit: store.queueLimit,
    server: getMeta(store, 'server_url') ?? null,
    lastSyncOk: lastOk ? new Date(Number(lastOk)).toISOString() : null,
    lastSyncError: getMeta(store, 'last_sync_error') ?? null,
    clockOffsetMs: offset === undefined ? null : Number(offset),
    alerts: alerts(store),
  };
}

function human(s: Record<string, unknown>, lang: Lang): string {
  const vi = lang === 'vi';
  const lines = [
    `${vi ? 'Thiết bị' : 'Device'}: ${String(s.deviceId)}`,
    `${vi ? 'Đã ghi' : 'Recorded'}: ${String(s.recorded)}   ${vi ? 'Đã gửi' : 'Delivered'}: ${String(s.delivered)}   ${vi ? 'Chờ gửi' : 'Pending'}: ${String(s.pending)} / ${String(s.queueLimit)}`,
    `${vi ? 'Máy chủ' : 'Server'}: ${String(s.server ?? (vi ? '(chưa đăng ký)' : '(not enrolled)'))}`,
    `${vi ? 'Gửi thành công gần nhất' : 'Last successful sync'}: ${String(s.lastSyncOk ?? '-')}`,
  ];
  if (s.lastSyncError) lines.push(`${vi ? 'Lỗi gần nhất' : 'Last error'}: ${String(s.lastSyncError)}`);
  for (const a of s.alerts as { level: string; vi: string; en: string }[]) lines.push(`${a.level === 'critical' ? '!!' : '!'} ${vi ? a.vi : a.en}`);
  return lines.join('\n') + '\n';
}

export const queueCommand: Command = {
  name: ['queue'],
  usage: USAGE,
  async run(argv, { lang }) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        server: { type: 'string' },
        token: { type: 'string' },
        site: { type: 'string' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        undelivered: { type: 'boolean' },
      },
      strict: true,
    });
    const action = positionals[0];
    if (positionals.length !== 1 || !['status', 'flush', 'export'].includes(action!)) {
      throw usageError(`usage: idkiosk ${USAGE}`, `cách dùng: idkiosk ${USAGE}`);
    }
    const store = openLocalStore({ dataDir: defaultDataDir(values['data-dir']) });
    try {
      if (action === 'status') {
        const s = statusOf(store);
        process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : human(s, lang));
        return (s.alerts as { level: string }[]).some((a) => a.level === 'critical') ? 3 : 0;
      }
      if (action === 'export') {
        const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
        let n = 0;
        for (const e of exportEvents(store, { undeliveredOnly: values.undelivered })) {
          if (!out.write(JSON.stringify(e) + '\n')) await new Promise((r) => out.once('drain', r));
          n++;
        }
        if (values.out) await new Promise<void>((r) => out.end(() => r()));
        process.stderr.write(`${lang === 'vi' ? 'đã xuất' : 'exported'} ${n} ${lang === 'vi' ? 'bản ghi' : 'records'}\n`);
        return 0;
      }
      if (values.server) {
        if (!values.token) throw usageError('--server needs --token (the operator enrolment token)', '--server cần --token (mã đăng ký của người vận hành)');
        await enrolDevice(store, values.server, values.token, values.site ?? process.env.IDKIOSK_SITE ?? 'unknown');
      }
      const timeoutS = Number(values.timeout ?? 120);
      if (!(timeoutS > 0)) throw usageError('--timeout must be a positive number of seconds', '--timeout phải là số giây dương');
      const client = new SyncClient({ store });
      try {
        const r = await client.drain({ maxMs: timeoutS * 1000 });
        const s = { ...r, ...queueCounts(store) };
        process.stdout.write(
          values.json
            ? JSON.stringify(s, null, 2) + '\n'
            : lang === 'vi'
              ? `Đã gửi ${r.acked} bản ghi trong ${r.batches} lô; còn chờ ${s.pending}.${r.lastError ? ` Lỗi gần nhất: ${r.lastError}` : ''}\n`
              : `Sent ${r.acked} records in ${r.batches} batches; ${s.pending} pending.${r.lastError ? ` Last error: ${r.lastError}` : ''}\n`,
        );
        return s.pending === 0 ? 0 : 3;
      } finally {
        await client.stop();
      }
    } finally {
      store.close();
    }
  },
};
