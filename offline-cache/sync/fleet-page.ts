// The operator's fleet page, rendered on the server (no script, so the page's content
// security policy can forbid all of it): devices by site with last seen, queue lag and
// clock skew; verifications per site per day as a chart (inline SVG); decisions and
// `invalid` authenticity per site; revoked devices. Vietnamese first, English with ?lang=en.
import type { FleetData } from './server-store.js';

/** The fleet view as the page and `idkiosk fleet status` show it (GET /v1/fleet). */
export interface FleetView extends FleetData {
  serverTime: number;
  utcOffsetMinutes: number;
  days: number;
  totals: { devices: number; revoked: number; events: number; invalid: number; pending: number };
}

type Lang = 'vi' | 'en';

const T = {
  vi: {
    title: 'Đội thiết bị idkiosk',
    login: 'Đăng nhập bằng mã vận hành',
    token: 'Mã vận hành',
    enter: 'Vào',
    wrong: 'Mã vận hành không đúng.',
    other: 'English',
    logout: 'Đăng xuất',
    devices: 'Thiết bị',
    revoked: 'Đã thu hồi',
    events: 'Bản ghi',
    invalid: 'Chip không hợp lệ',
    pending: 'Đang chờ gửi',
    chart: (d: number) => `Lượt xác thực theo điểm, theo ngày (${d} ngày gần nhất)`,
    noData: 'Chưa có lượt xác thực nào trong khoảng này.',
    decisions: 'Kết quả theo điểm',
    site: 'Điểm',
    accepted: 'Chấp nhận',
    rejected: 'Từ chối',
    review: 'Cần xem lại',
    bySite: 'Thiết bị theo điểm',
    device: 'Thiết bị',
    lastSeen: 'Liên lạc lần cuối',
    queue: 'Hàng đợi',
    skew: 'Lệch đồng hồ',
    status: 'Trạng thái',
    active: 'hoạt động',
    never: 'chưa bao giờ',
    ago: (s: string) => `${s} trước`,
    waiting: (n: number, lag: string) => (n === 0 ? 'trống' : `${n} chờ, cũ nhất ${lag}`),
    revokedList: 'Thiết bị đã thu hồi',
    revokedAt: 'Thu hồi lúc',
    reason: 'Lý do',
    kept: 'Lô bị giữ lại',
    none: 'Không có.',
    updated: 'Số liệu lúc',
    units: { s: 'giây', m: 'phút', h: 'giờ', d: 'ngày' },
  },
  en: {
    title: 'idkiosk fleet',
    login: 'Sign in with the operator token',
    token: 'Operator token',
    enter: 'Sign in',
    wrong: 'Wrong operator token.',
    other: 'Tiếng Việt',
    logout: 'Sign out',
    devices: 'Devices',
    revoked: 'Revoked',
    events: 'Records',
    invalid: 'Invalid chips',
    pending: 'Waiting to send',
    chart: (d: number) => `Verifications per site per day (last ${d} days)`,
    noData: 'No verifications in this period.',
    decisions: 'Decisions per site',
    site: 'Site',
    accepted: 'Accepted',
    rejected: 'Rejected',
    review: 'Review',
    bySite: 'Devices by site',
    device: 'Device',
    lastSeen: 'Last seen',
    queue: 'Queue',
    skew: 'Clock skew',
    status: 'Status',
    active: 'active',
    never: 'never',
    ago: (s: string) => `${s} ago`,
    waiting: (n: number, lag: string) => (n === 0 ? 'empty' : `${n} waiting, oldest ${lag}`),
    revokedList: 'Revoked devices',
    revokedAt: 'Revoked at',
    reason: 'Reason',
    kept: 'Batches kept apart',
    none: 'None.',
    updated: 'Figures as of',
    units: { s: 's', m: 'min', h: 'h', d: 'd' },
  },
} as const;

function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function duration(ms: number, lang: Lang): string {
  const u = T[lang].units;
  const a = Math.abs(ms);
  const v = a < 60_000 ? `${Math.round(a / 1000)} ${u.s}` : a < 3600_000 ? `${Math.round(a / 60_000)} ${u.m}` : a < 86_400_000 ? `${(a / 3600_000).toFixed(1)} ${u.h}` : `${(a / 86_400_000).toFixed(1)} ${u.d}`;
  return ms < 0 ? `-${v}` : v;
}

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2630; background: #f4f6f8; }
  header { background: #0b4f6c; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 20px; margin: 0; flex: 1; }
  header a, header button { color: #fff; background: none; border: 1px solid #fff8; border-radius: 4px; padding: 4px 10px; font: inherit; cursor: pointer; text-decoration: none; }
  main { padding: 16px 20px; max-width: 1100px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; margin: 0 0 16px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 17px; margin: 0 0 8px; } h3 { font-size: 15px; margin: 12px 0 4px; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e7eb; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .totals { display: flex; gap: 24px; flex-wrap: wrap; } .totals b { display: block; font-size: 22px; }
  .alert { color: #b00020; font-weight: 600; } .muted { color: #667; }
  .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
  form.login { max-width: 360px; } form.login input { width: 100%; padding: 6px; font: inherit; margin: 6px 0 10px; box-sizing: border-box; }
`;

function shell(lang: Lang, title: string, headerExtra: string, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><header><h1>${esc(title)}</h1>${headerExtra}</header><main>${body}</main></body></html>`;
}

export function loginPage(lang: Lang, wrong: boolean): string {
  const t = T[lang];
  return shell(
    lang,
    t.title,
    `<a href="/fleet${lang === 'vi' ? '?lang=en' : ''}">${t.other}</a>`,
    `<section><h2>${t.login}</h2>${wrong ? `<p class="alert" role="alert">${t.wrong}</p>` : ''}
      <form class="login" method="post" action="/fleet/login"><label>${t.token}<input type="password" name="token" autocomplete="current-password" required autofocus></label>
      <input type="hidden" name="lang" value="${lang}"><button type="submit">${t.enter}</button></form></section>`,
  );
}

const COLORS = ['#0b6e99', '#e07a1f', '#2e9e5b', '#c2334d', '#7b52ab', '#8c6d1f', '#1f9e9e', '#d4559b', '#5a6b7b', '#9aa81f'];

function chart(v: FleetView, lang: Lang): string {
  const t = T[lang];
  const dayMs = 86_400_000;
  const today = Math.floor((v.serverTime + v.utcOffsetMinutes * 60_000) / dayMs);
  const days = Array.from({ length: v.days }, (_, i) => new Date((today - v.days + 1 + i) * dayMs).toISOString().slice(0, 10));
  const sites = [...new Set(v.perSiteDay.map((r) => r.site))].sort();
  if (sites.length === 0) return `<p class="muted">${t.noData}</p>`;
  const count = new Map(v.perSiteDay.map((r) => [`${r.site}|${r.day}`, r.count]));
  const totals = days.map((d) => sites.reduce((n, s) => n + (count.get(`${s}|${d}`) ?? 0), 0));
  const max = Math.max(1, ...totals);
  const W = 760, H = 220, left = 44, bottom = 34, top = 8;
  const bw = (W - left - 8) / days.length;
  const y = (n: number): number => top + (H - top - bottom) * (1 - n / max);
  let bars = '';
  days.forEach((d, i) => {
    let acc = 0;
    sites.forEach((s, si) => {
      const n = count.get(`${s}|${d}`) ?? 0;
      if (n === 0) return;
      const y0 = y(acc), y1 = y(acc + n);
      bars += `<rect x="${(left + i * bw + 1).toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${(y0 - y1).toFixed(1)}" fill="${COLORS[si % COLORS.length]}" data-site="${esc(s)}" data-day="${d}" data-count="${n}"><title>${esc(s)} ${d}: ${n}</title></rect>`;
      acc += n;
    });
  });
  const labelEvery = Math.ceil(days.length / 10);
  const xLabels = days.map((d, i) => (i % labelEvery === 0 ? `<text x="${(left + i * bw + bw / 2).toFixed(1)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${d.slice(5)}</text>` : '')).join('');
  const yLabels = [0, max / 2, max].map((n) => `<text x="${left - 6}" y="${(y(n) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Math.round(n)}</text><line x1="${left}" x2="${W - 8}" y1="${y(n).toFixed(1)}" y2="${y(n).toFixed(1)}" stroke="#e3e7eb"/>`).join('');
  const legend = sites.map((s, si) => `<span><i style="background:${COLORS[si % COLORS.length]}"></i>${esc(s)}</span>`).join('');
  return `<svg role="img" aria-label="${esc(t.chart(v.days))}" viewBox="0 0 ${W} ${H}" width="100%" data-testid="per-day-chart">${yLabels}${bars}${xLabels}</svg><div class="legend">${legend}</div>`;
}

export function fleetPage(v: FleetView, lang: Lang): string {
  const t = T[lang];
  const when = (ms: number): string => new Date(ms + v.utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  const totals = `<section class="totals" data-testid="totals">
      <div>${t.devices}<b>${v.totals.devices}</b></div><div>${t.revoked}<b>${v.totals.revoked}</b></div>
      <div>${t.events}<b>${v.totals.events}</b></div><div>${t.invalid}<b class="${v.totals.invalid > 0 ? 'alert' : ''}">${v.totals.invalid}</b></div>
      <div>${t.pending}<b>${v.totals.pending}</b></div></section>`;
  const decisions = `<section><h2>${t.decisions}</h2><table data-testid="decisions"><thead><tr><th>${t.site}</th><th class="n">${t.accepted}</th><th class="n">${t.rejected}</th><th class="n">${t.review}</th><th class="n">${t.invalid}</th></tr></thead><tbody>${v.perSite
    .map((s) => `<tr data-site="${esc(s.site)}"><td>${esc(s.site)}</td><td class="n">${s.accepted}</td><td class="n">${s.rejected}</td><td class="n">${s.review}</td><td class="n${s.invalid > 0 ? ' alert' : ''}">${s.invalid}</td></tr>`)
    .join('')}</tbody></table></section>`;
  const bySite = new Map<string, FleetView['devices']>();
  for (const d of v.devices) bySite.set(d.site, [...(bySite.get(d.site) ?? []), d]);
  const deviceRows = [...bySite.entries()]
    .map(
      ([site, ds]) => `<h3>${esc(site)}</h3><table data-site="${esc(site)}"><thead><tr><th>${t.device}</th><th>${t.lastSeen}</th><th>${t.queue}</th><th class="n">${t.skew}</th><th class="n">${t.events}</th><th>${t.status}</th></tr></thead><tbody>${ds
        .map((d) => {
          const seen = d.lastSeenAt === null ? t.never : `${when(d.lastSeenAt)} (${t.ago(duration(v.serverTime - d.lastSeenAt, lang))})`;
          // The oldest unsent event's age when the device last spoke, on the device's own clock.
          const lag = d.oldestPendingAt !== null && d.lastSeenAt !== null && d.skewMs !== null ? duration(d.lastSeenAt - d.skewMs - d.oldestPendingAt, lang) : '-';
          const queue = d.pending === null ? '-' : t.waiting(d.pending, lag);
          const skew = d.skewMs === null ? '-' : duration(d.skewMs, lang);
          return `<tr data-device="${esc(d.deviceId)}"><td>${esc(d.deviceId)}</td><td>${esc(seen)}</td><td data-pending="${d.pending ?? ''}">${esc(queue)}</td><td class="n${d.skewMs !== null && Math.abs(d.skewMs) > 300_000 ? ' alert' : ''}">${esc(skew)}</td><td class="n">${d.events}</td><td class="${d.revokedAt ? 'alert' : ''}">${d.revokedAt ? t.revoked : t.active}</td></tr>`;
        })
        .join('')}</tbody></table>`,
    )
    .join('');
  const revoked = v.devices.filter((d) => d.revokedAt !== null);
  const revokedTable = revoked.length
    ? `<table data-testid="revoked"><thead><tr><th>${t.device}</th><th>${t.site}</th><th>${t.revokedAt}</th><th>${t.reason}</th><th class="n">${t.kept}</th></tr></thead><tbody>${revoked
        .map((d) => `<tr data-device="${esc(d.deviceId)}"><td>${esc(d.deviceId)}</td><td>${esc(d.site)}</td><td>${esc(when(d.revokedAt!))}</td><td>${esc(d.revokeReason ?? '')}</td><td class="n">${d.quarantined}</td></tr>`)
        .join('')}</tbody></table>`
    : `<p class="muted">${t.none}</p>`;
  const header = `<a href="/fleet${lang === 'vi' ? '?lang=en' : ''}">${t.other}</a><form method="post" action="/fleet/logout"><button type="submit">${t.logout}</button></form>`;
  return shell(
    lang,
    t.title,
    header,
    `<p class="muted">${t.updated} ${esc(when(v.serverTime))} (UTC${v.utcOffsetMinutes >= 0 ? '+' : '-'}${Math.abs(v.utcOffsetMinutes / 60)})</p>${totals}
     <section><h2>${esc(t.chart(v.days))}</h2>${chart(v, lang)}</section>${decisions}
     <section><h2>${t.bySite}</h2>${deviceRows || `<p class="muted">${t.none}</p>`}</section>
     <section><h2>${t.revokedList}</h2>${revokedTable}</section>`,
  );
}
