// `idkiosk queue status|flush|export|retry`: the local outbox of verification events.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Lang } from '../../core/errors.js';
import { type StoreHealth, checkStore } from '../../offline-cache/health.js';
import { exportEvents, queueCounts } from '../../offline-cache/outbox.js';
import { QUARANTINE_REASONS, exportQuarantined, retryQuarantined } from '../../offline-cache/quarantine.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { usageError } from '../../core/errors.js';
import { defaultDataDir } from '../paths.js';
import type { Command } from './command.js';

const USAGE =
  'queue status|flush|export|retry [--json] [--data-dir DIR] [--server URL --token TOKEN [--site NAME]] [--timeout SECONDS] [--out FILE] [--undelivered|--quarantined] [--id QID]…';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function statusOf(h: StoreHealth): Record<string, unknown> {
  const c = h.counts;
  return {
    deviceId: h.deviceId,
    dataDir: h.dataDir,
    keyProtection: h.keyProtection,
    recorded: c.head,
    delivered: c.acked,
    pending: c.pending,
    storedLocally: c.stored,
    oldestPendingAt: iso(c.oldestPendingAt),
    queueLimit: h.queueLimit,
    quarantined: h.quarantined.map((q) => ({ ...q, at: iso(q.at), setAsideAt: iso(q.setAsideAt) })),
    server: h.server,
    lastSyncOk: iso(h.lastSyncOk),
    lastSyncError: h.lastSyncError,
    clockOffsetMs: h.clockOffsetMs,
    alerts: h.alerts,
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
  const aside = s.quarantined as { qid: number; seq: number; id: string; code: keyof typeof QUARANTINE_REASONS; reason: string; attempts: number }[];
  if (aside.length > 0) {
    lines.push(`${vi ? 'Để riêng (không gửi được)' : 'Set aside (could not be sent)'}: ${aside.length}`);
    for (const q of aside.slice(0, 20)) lines.push(`  #${q.qid} ${vi ? 'bản ghi' : 'record'} ${q.seq} ${q.id}: ${QUARANTINE_REASONS[q.code]?.[lang] ?? q.code} [${q.code}] (${q.reason})`);
    if (aside.length > 20) lines.push(`  … ${aside.length - 20} ${vi ? 'bản ghi nữa' : 'more'}`);
  }
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
        quarantined: { type: 'boolean' },
        id: { type: 'string', multiple: true },
      },
      strict: true,
    });
    const action = positionals[0];
    if (positionals.length !== 1 || !['status', 'flush', 'export', 'retry'].includes(action!)) {
      throw usageError(`usage: idkiosk ${USAGE}`, `cách dùng: idkiosk ${USAGE}`);
    }
    const dataDir = defaultDataDir(values['data-dir']);
    if (action === 'status') {
      // Read-only: works beside a running kiosk, and reports a store it cannot use instead of failing.
      const c = checkStore({ dataDir });
      if (c.status === 'refused') {
        const s = { dataDir, refused: { code: c.code, vi: c.vi, en: c.en } };
        process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : `!! ${lang === 'vi' ? c.vi : c.en} [${c.code}]\n`);
        return 3;
      }
      if (c.status === 'absent') {
        process.stdout.write(values.json ? JSON.stringify({ dataDir, absent: true }, null, 2) + '\n' : `${lang === 'vi' ? 'Chưa có kho sự kiện ở' : 'No event store yet in'} ${dataDir}\n`);
        return 0;
      }
      const s = statusOf(c.health);
      process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : human(s, lang));
      return (s.alerts as { level: string }[]).some((a) => a.level === 'critical') ? 3 : 0;
    }
    const store = openLocalStore({ dataDir });
    try {
      if (action === 'retry') {
        const ids = (values.id ?? []).map(Number);
        if (ids.some((n) => !Number.isSafeInteger(n) || n < 1)) throw usageError('--id takes the number shown by queue status (#N)', '--id nhận số hiển thị trong queue status (#N)');
        const r = retryQuarantined(store, ids.length > 0 ? ids : undefined);
        if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          const vi = lang === 'vi';
          process.stdout.write(`${vi ? 'Đưa lại vào hàng đợi' : 'Back in the queue'}: ${r.requeued.length}; ${vi ? 'vẫn để riêng' : 'still set aside'}: ${r.kept.length}\n`);
          for (const k of r.kept) process.stdout.write(`  #${k.qid} ${k.id}: ${QUARANTINE_REASONS[k.code][lang]} [${k.code}] (${k.reason})\n`);
        }
        return r.kept.length === 0 ? 0 : 3;
      }
      if (action === 'export') {
        if (values.quarantined && values.undelivered) throw usageError('--quarantined and --undelivered exclude each other', '--quarantined và --undelivered không dùng cùng nhau');
        const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
        let n = 0;
        const rows: Iterable<unknown> = values.quarantined ? exportQuarantined(store) : exportEvents(store, { undeliveredOnly: values.undelivered });
        for (const e of rows) {
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
