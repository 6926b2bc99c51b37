// `idkiosk fleet …`: the operator's command line, twin of the server's /fleet page, over the
// same operator-token endpoints (every call lands in the server's audit table).
//
//   fleet status                       devices by site, queue lag, clock skew, decisions, revoked
//   fleet token create --site S [--days N] | token list | token revoke ID
//   fleet revoke DEVICE --reason TEXT  later batches of the device are refused and kept apart
//   fleet quarantine [--device D]      batches kept apart
//   fleet audit [--limit N]            the operator audit trail
//   fleet purge                        run the retention policy now
//
// Each takes --server URL --token T (or $IDKIOSK_FLEET_SERVER, $IDKIOSK_OPERATOR_TOKEN) and --json.
import { parseArgs } from 'node:util';
import { IdkError, type Lang } from '../../core/errors.js';
import type { FleetView } from '../../offline-cache/sync/fleet-page.js';
import { type HttpReply, httpExchange } from '../../offline-cache/sync/http.js';
import { usageError } from '../../core/errors.js';
import type { Command } from './command.js';

const USAGE = 'fleet status|token create|token list|token revoke ID|revoke DEVICE|quarantine|audit|purge --server URL --token T [--site S] [--days N] [--reason R] [--device D] [--limit N] [--json]';

async function call(server: string, token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  let r: HttpReply;
  const url = new URL(path, server).toString();
  try {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    r = await httpExchange(url, { method, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) }, body: payload, timeoutMs: 30_000 });
  } catch (e) {
    throw new IdkError('SYNC_UNREACHABLE', { vi: `Không kết nối được máy chủ ${server}: ${(e as Error).message}`, en: `Cannot reach the server ${server}: ${(e as Error).message}` });
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    throw new IdkError('BAD_REPLY', { vi: `Máy chủ ${server} trả lời ${r.status} không phải JSON: có đúng là máy chủ idkiosk không?`, en: `The server ${server} answered ${r.status} without JSON: is it an idkiosk ingest server?` });
  }
  if (r.status === 401) throw new IdkError('BAD_TOKEN', { vi: 'Mã vận hành không đúng (--token).', en: 'Wrong operator token (--token).' });
  if (r.status >= 400) {
    throw new IdkError('SERVER_REJECTED', { vi: `Máy chủ từ chối: ${String(json.message ?? r.status)}`, en: `The server refused: ${String(json.message ?? r.status)}` }, { detail: { code: json.code } });
  }
  return json;
}

function ago(ms: number, lang: Lang): string {
  const a = Math.abs(ms);
  const v = a < 60_000 ? `${Math.round(a / 1000)} s` : a < 3600_000 ? `${Math.round(a / 60_000)} min` : a < 86_400_000 ? `${(a / 3600_000).toFixed(1)} h` : `${(a / 86_400_000).toFixed(1)} ${lang === 'vi' ? 'ngày' : 'd'}`;
  return ms < 0 ? `-${v}` : v;
}

/** The fleet view as text: a block per site, then decisions, then revoked devices. */
function fleetText(v: FleetView, lang: Lang): string {
  const vi = lang === 'vi';
  const when = (ms: number): string => new Date(ms + v.utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  const lines: string[] = [];
  const t = v.totals;
  lines.push(
    vi
      ? `Thiết bị: ${t.devices} (thu hồi ${t.revoked}) · bản ghi: ${t.events} · chip không hợp lệ: ${t.invalid} · đang chờ gửi: ${t.pending}`
      : `Devices: ${t.devices} (revoked ${t.revoked}) · records: ${t.events} · invalid chips: ${t.invalid} · waiting to send: ${t.pending}`,
  );
  const sites = [...new Set(v.devices.map((d) => d.site))];
  for (const site of sites) {
    lines.push('', `[${site}]`);
    for (const d of v.devices.filter((x) => x.site === site)) {
      const seen = d.lastSeenAt === null ? (vi ? 'chưa liên lạc' : 'never seen') : `${vi ? 'liên lạc' : 'seen'} ${ago(v.serverTime - d.lastSeenAt, lang)} ${vi ? 'trước' : 'ago'}`;
      const lag = d.oldestPendingAt !== null && d.lastSeenAt !== null && d.skewMs !== null ? ago(d.lastSeenAt - d.skewMs - d.oldestPendingAt, lang) : '-';
      const queue = d.pending === null ? '-' : d.pending === 0 ? (vi ? 'hàng đợi trống' : 'queue empty') : `${vi ? 'chờ' : 'waiting'} ${d.pending}, ${vi ? 'cũ nhất' : 'oldest'} ${lag}`;
      const skew = d.skewMs === null ? '' : `, ${vi ? 'lệch đồng hồ' : 'clock skew'} ${ago(d.skewMs, lang)}`;
      lines.push(`  ${d.deviceId}  ${d.events} ${vi ? 'bản ghi' : 'records'}, ${seen}, ${queue}${skew}${d.revokedAt ? (vi ? '  [ĐÃ THU HỒI]' : '  [REVOKED]') : ''}`);
    }
  }
  lines.push('', vi ? 'Kết quả theo điểm (chấp nhận / từ chối / xem lại / chip không hợp lệ):' : 'Decisions per site (accepted / rejected / review / invalid chips):');
  for (const s of v.perSite) lines.push(`  ${s.site}: ${s.accepted} / ${s.rejected} / ${s.review} / ${s.invalid}${s.invalid > 0 ? ' !' : ''}`);
  const revoked = v.devices.filter((d) => d.revokedAt !== null);
  if (revoked.length) {
    lines.push('', vi ? 'Thiết bị đã thu hồi:' : 'Revoked devices:');
    for (const d of revoked) lines.push(`  ${d.deviceId} (${d.site}) ${when(d.revokedAt!)}: ${d.revokeReason ?? ''}; ${vi ? 'lô bị giữ lại' : 'batches kept apart'}: ${d.quarantined}`);
  }
  return lines.join('\n') + '\n';
}

export const fleetCommand: Command = {
  name: ['fleet'],
  usage: USAGE,
  async run(argv, { lang }) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        site: { type: 'string' },
        days: { type: 'string' },
        reason: { type: 'string' },
        device: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const server = values.server ?? process.env.IDKIOSK_FLEET_SERVER;
    const token = values.token ?? process.env.IDKIOSK_OPERATOR_TOKEN;
    const bad = (): IdkError => usageError(`usage: idkiosk ${USAGE}`, `cách dùng: idkiosk ${USAGE}`);
    if (!server || !token || positionals.length === 0) throw bad();
    if (!URL.canParse(server)) throw usageError(`--server ${server} is not a URL`, `--server ${server} không phải địa chỉ URL`);
    const out = (json: unknown, text: string): number => {
      process.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text);
      return 0;
    };
    const [a, b, c] = positionals;
    const vi = lang === 'vi';
    if (a === 'status' && !b) {
      const days = values.days ?? '30';
      const v = (await call(server, token, 'GET', `/v1/fleet?days=${encodeURIComponent(days)}`)) as unknown as FleetView;
      return out(v, fleetText(v, lang));
    }
    if (a === 'token' && b === 'create' && !c) {
      if (!values.site) throw usageError('token create needs --site', 'token create cần --site');
      const r = await call(server, token, 'POST', '/v1/admin/enrol-tokens', { site: values.site, days: values.days === undefined ? undefined : Number(values.days) });
      const exp = new Date(Number(r.expiresAt)).toISOString();
      return out(r, vi ? `Mã đăng ký cho "${String(r.site)}" (${String(r.tokenId)}, hết hạn ${exp}):\n${String(r.token)}\nMã chỉ hiện một lần.\n` : `Enrolment token for "${String(r.site)}" (${String(r.tokenId)}, expires ${exp}):\n${String(r.token)}\nShown only this once.\n`);
    }
    if (a === 'token' && b === 'list' && !c) {
      const r = (await call(server, token, 'GET', '/v1/admin/enrol-tokens')) as { tokens: { tokenId: string; site: string; expiresAt: number; revokedAt: number | null; used: number }[] };
      const now = Date.now();
      const text = r.tokens
        .map((t) => `${t.tokenId}  ${t.site}  ${t.revokedAt ? (vi ? 'đã thu hồi' : 'revoked') : t.expiresAt <= now ? (vi ? 'hết hạn' : 'expired') : `${vi ? 'hết hạn' : 'expires'} ${new Date(t.expiresAt).toISOString()}`}  ${vi ? 'đã dùng' : 'used'} ${t.used}`)
        .join('\n');
      return out(r, (text || (vi ? 'Chưa có mã nào.' : 'No tokens.')) + '\n');
    }
    if (a === 'token' && b === 'revoke' && c) {
      const r = await call(server, token, 'POST', `/v1/admin/enrol-tokens/${encodeURIComponent(c)}/revoke`);
      return out(r, vi ? `Đã thu hồi mã ${c}.\n` : `Token ${c} revoked.\n`);
    }
    if (a === 'revoke' && b && !c) {
      if (!values.reason) throw usageError('revoke needs --reason', 'revoke cần --reason');
      const r = await call(server, token, 'POST', `/v1/admin/devices/${encodeURIComponent(b)}/revoke`, { reason: values.reason });
      return out(r, vi ? `Đã thu hồi thiết bị ${b}: các lô gửi sau sẽ bị từ chối và giữ riêng.\n` : `Device ${b} revoked: its later batches are refused and kept apart.\n`);
    }
    if (a === 'quarantine' && !b) {
      const r = (await call(server, token, 'GET', `/v1/admin/quarantine${values.device ? `?device=${encodeURIComponent(values.device)}` : ''}`)) as { batches: { id: number; deviceId: string; receivedAt: number; bytes: number; reason: string }[] };
      return out(r, r.batches.map((q) => `${q.id}  ${q.deviceId}  ${new Date(q.receivedAt).toISOString()}  ${q.bytes} B  ${q.reason}`).join('\n') + '\n');
    }
    if (a === 'audit' && !b) {
      const r = (await call(server, token, 'GET', `/v1/admin/audit?limit=${encodeURIComponent(values.limit ?? '200')}`)) as { entries: { at: number; actor: string; action: string; target: string; detail: string }[] };
      return out(r, r.entries.map((e) => `${new Date(e.at).toISOString()}  ${e.actor}  ${e.action}  ${e.target}  ${e.detail}`).join('\n') + '\n');
    }
    if (a === 'purge' && !b) {
      const r = await call(server, token, 'POST', '/v1/admin/purge');
      return out(r, vi ? `Đã xóa phần dữ liệu cá nhân của ${String(r.purged)} bản ghi quá hạn lưu.\n` : `Purged the personal part of ${String(r.purged)} records past retention.\n`);
    }
    throw bad();
  },
};
