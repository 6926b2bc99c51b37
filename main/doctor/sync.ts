// The ingest server: reachable, and does it know this station (enrolled)? And the clock
// against the server's, from the same exchange: event times and certificate validity both
// depend on it. The question asked is the device's public key (GET /v1/devices/<id>/key, no
// token, changes nothing): the server knows the station when it holds the same key as
// device-key.json, and says whether the operator revoked it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_FILE } from '../../offline-cache/device-keys.js';
import { H_SERVER_TIME } from '../../offline-cache/sync/protocol.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { type CheckResult, type DoctorContext, fail, msg, ok, warn } from './check.js';
import type { StoreProbe } from './store-probe.js';

const TIMEOUT_MS = 8000;
/** Beyond this the clock is wrong enough to matter (event order, certificate and CRL dates). */
const SKEW_FAIL_S = 120;
const SKEW_WARN_S = 10;

interface ServerAnswer {
  url: string;
  /** The exchange failed: refused, timed out, not HTTP. */
  error?: string;
  status?: number;
  /** Server clock minus ours at the exchange's midpoint, in ms. */
  skewMs?: number;
  /** With 200: the server holds this station's key (not another's under the same id), and whether it is revoked. */
  sameKey?: boolean;
  revoked?: boolean;
}

function deviceKeyFile(dataDir: string): { deviceId?: string; signPublicKey?: string } {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { deviceId?: string; signPublicKey?: string };
  } catch {
    return {};
  }
}

/** The server in effect, as the kiosk chooses it: --sync, else $IDKIOSK_SYNC_URL, else the enrolled one. */
export function serverUrl(ctx: DoctorContext, store: StoreProbe): string | undefined {
  return ctx.sync ?? (process.env.IDKIOSK_SYNC_URL || undefined) ?? store.serverUrl;
}

export async function askServer(url: string, ctx: DoctorContext): Promise<ServerAnswer> {
  const mine = deviceKeyFile(ctx.dataDir);
  const id = mine.deviceId ?? 'not-enrolled';
  let target: string;
  try {
    target = new URL(`/v1/devices/${encodeURIComponent(id)}/key`, url).toString();
  } catch {
    return { url, error: 'not a URL' };
  }
  const t0 = Date.now();
  try {
    const r = await httpExchange(target, { method: 'GET', timeoutMs: TIMEOUT_MS });
    const t1 = Date.now();
    const header = r.headers[H_SERVER_TIME.toLowerCase()];
    const serverTime = Number(Array.isArray(header) ? header[0] : header);
    const skew = Number.isFinite(serverTime) && header !== undefined ? { skewMs: serverTime - (t0 + t1) / 2 } : {};
    if (r.status !== 200) return { url, status: r.status, ...skew };
    let key: { jwk?: { x?: unknown }; revoked?: unknown } = {};
    try {
      key = JSON.parse(r.text) as typeof key;
    } catch {
      // Not our server's answer: judged below as a key that does not match.
    }
    const x = typeof key.jwk?.x === 'string' ? Buffer.from(key.jwk.x, 'base64url').toString('base64') : undefined;
    return { url, status: r.status, ...skew, sameKey: x !== undefined && x === mine.signPublicKey, revoked: key.revoked === true };
  } catch (e) {
    return { url, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

export function checkSync(ctx: DoctorContext, store: StoreProbe, answer: ServerAnswer | undefined): CheckResult {
  if (!answer) {
    return warn(
      'sync',
      msg(`Chưa đặt máy chủ đồng bộ: kết quả xác thực được giữ ở máy này (${store.unsent} chưa gửi).`, `No sync server set: verifications stay on this station (${store.unsent} unsent).`),
      msg('Đặt máy chủ trong Cài đặt (sau PIN), hoặc chạy với --sync URL --sync-token MÃ.', 'Set the server in Settings (behind the PIN), or run with --sync URL --sync-token TOKEN.'),
    );
  }
  if (answer.error !== undefined) {
    return warn(
      'sync',
      msg(`Không kết nối được máy chủ đồng bộ ${answer.url} (${answer.error}); ${store.unsent} kết quả chờ gửi, không mất gì.`, `Cannot reach the sync server ${answer.url} (${answer.error}); ${store.unsent} results wait to be sent, nothing is lost.`),
      msg('Kiểm tra mạng và địa chỉ máy chủ (curl ' + answer.url + '); máy tự gửi lại khi có mạng.', 'Check the network and the server address (curl ' + answer.url + '); the station sends again by itself once the link is back.'),
    );
  }
  if (answer.status === 401 || answer.status === 404) {
    const fixText = msg('Đăng ký máy với máy chủ: đặt máy chủ trong Cài đặt kèm mã đăng ký, hoặc --sync URL --sync-token MÃ.', 'Enrol the station: set the server in Settings with the enrolment token, or --sync URL --sync-token TOKEN.');
    // The store holds this server's key but the server does not know the device: nothing it sends can land.
    if (store.enrolled && store.serverUrl === answer.url) {
      return fail('sync', msg(`Máy chủ ${answer.url} không nhận ra máy này dù máy đã đăng ký: không gửi được gì.`, `The server ${answer.url} does not know this station although it enrolled: nothing can be sent.`), fixText);
    }
    return warn('sync', msg(`Máy chủ ${answer.url} trả lời, nhưng máy này chưa đăng ký.`, `The server ${answer.url} answers, but this station is not enrolled yet.`), fixText);
  }
  if (answer.status !== 200) {
    return warn('sync', msg(`Máy chủ ${answer.url} trả lời ${answer.status}.`, `The server ${answer.url} answered ${answer.status}.`), msg('Báo quản trị máy chủ kèm mã lỗi này.', 'Tell the server administrator, with this status code.'));
  }
  if (answer.revoked) {
    return fail('sync', msg(`Máy chủ ${answer.url} đã thu hồi máy này: không gửi được gì.`, `The server ${answer.url} has revoked this station: nothing can be sent.`), msg('Hỏi quản trị máy chủ vì sao máy bị thu hồi; đăng ký lại bằng mã mới nếu được phép.', 'Ask the server administrator why the station was revoked; enrol again with a new token if allowed.'));
  }
  if (answer.sameKey === false) {
    return fail('sync', msg(`Máy chủ ${answer.url} giữ một khóa khác cho mã máy này: không gửi được gì.`, `The server ${answer.url} holds another key for this station's id: nothing can be sent.`), msg('Báo quản trị máy chủ: khóa máy đã bị thay; có thể cần đăng ký lại.', 'Tell the server administrator: the station key was replaced; it may need enrolling again.'));
  }
  return ok('sync', msg(`Máy chủ đồng bộ ${answer.url}: kết nối được, máy đã đăng ký; ${store.unsent} chưa gửi.`, `Sync server ${answer.url}: reachable, station enrolled; ${store.unsent} unsent.`));
}

export function checkClock(answer: ServerAnswer | undefined): CheckResult {
  const ntp = msg('Bật đồng bộ giờ: timedatectl set-ntp true (kiểm tra: timedatectl status).', 'Turn on time sync: timedatectl set-ntp true (check: timedatectl status).');
  if (!answer || answer.skewMs === undefined) {
    return warn('clock', msg('Không so được giờ với máy chủ (không có máy chủ hoặc không kết nối được).', 'Cannot compare the clock with the server (no server, or it cannot be reached).'), ntp);
  }
  const s = Math.round(answer.skewMs / 1000);
  const text = msg(
    `Giờ máy ${s === 0 ? 'khớp giờ máy chủ' : s > 0 ? `chậm hơn máy chủ ${s} giây` : `nhanh hơn máy chủ ${-s} giây`}.`,
    `The clock ${s === 0 ? 'matches the server' : s > 0 ? `is ${s} s behind the server` : `is ${-s} s ahead of the server`}.`,
  );
  if (Math.abs(s) > SKEW_FAIL_S) return fail('clock', msg(`${text.vi} Thời điểm ghi và kiểm tra hạn chứng thư sẽ sai.`, `${text.en} Event times and certificate date checks will be wrong.`), ntp);
  if (Math.abs(s) > SKEW_WARN_S) return warn('clock', text, ntp);
  return ok('clock', text);
}
