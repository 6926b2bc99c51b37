// What the store keeps and for how long. Delivered events are purged after the retention
// period; undelivered events are never purged or evicted. When the queue of undelivered
// events reaches its limit, or the disk its reserve, recording is refused with a clear
// error instead of silently dropping anything; alerts are raised well before that.
import { IdkError } from '../core/errors.js';
import { type LocalStore, freeDiskBytes, getMeta, stmt } from './store.js';

export interface Alert {
  level: 'warning' | 'critical';
  code: string;
  vi: string;
  en: string;
}

/** Fraction of the queue limit / multiple of the disk reserve at which a warning starts. */
const WARN_QUEUE_FRACTION = 0.8;
const WARN_DISK_MULTIPLE = 4;
const CLOCK_SKEW_WARN_MS = 5 * 60_000;
const STALLED_AFTER_MS = 24 * 3600_000;

function undeliveredCount(store: LocalStore): number {
  const ack = Number(getMeta(store, 'ack_seq') ?? 0);
  const head = Number(getMeta(store, 'head_seq') ?? 0);
  return head - ack;
}

/** Throws before a record is attempted if it would break the queue limit or eat the disk reserve. */
export function assertCanRecord(store: LocalStore): void {
  const pending = undeliveredCount(store);
  if (pending >= store.queueLimit) {
    throw new IdkError(
      'QUEUE_FULL',
      {
        vi: `Hàng đợi đã đủ ${store.queueLimit} bản ghi chưa gửi: kết quả này CHƯA được lưu. Kiểm tra kết nối mạng hoặc xuất hàng đợi (idkiosk queue export).`,
        en: `The queue holds its limit of ${store.queueLimit} undelivered records: this result was NOT recorded. Check the network link or export the queue (idkiosk queue export).`,
      },
      { detail: { pending, limit: store.queueLimit } },
    );
  }
  if (store.diskReserveBytes > 0 && freeDiskBytes(store.dataDir) < store.diskReserveBytes) {
    throw new IdkError(
      'STORE_FULL',
      {
        vi: `Ổ đĩa chứa kho sự kiện sắp đầy (${store.dataDir}): kết quả này CHƯA được lưu. Giải phóng dung lượng; các bản ghi đã lưu vẫn an toàn.`,
        en: `The disk holding the event store is nearly full (${store.dataDir}): this result was NOT recorded. Free some space; records already stored are safe.`,
      },
      { detail: { reserve: store.diskReserveBytes } },
    );
  }
}

/** Deletes delivered events older than the retention period; returns how many went. */
export function purgeDelivered(store: LocalStore, now = store.now()): number {
  return stmt(store, 'DELETE FROM events WHERE delivered_at IS NOT NULL AND delivered_at <= ?').run(now - store.retentionMs).changes;
}

export function alerts(store: LocalStore, now = store.now()): Alert[] {
  const out: Alert[] = [];
  const pending = undeliveredCount(store);
  if (pending >= store.queueLimit) {
    out.push({ level: 'critical', code: 'QUEUE_FULL', vi: `Hàng đợi đầy (${pending}/${store.queueLimit}): không ghi thêm được.`, en: `Queue full (${pending}/${store.queueLimit}): new records are refused.` });
  } else if (pending >= store.queueLimit * WARN_QUEUE_FRACTION) {
    out.push({ level: 'warning', code: 'QUEUE_NEAR_LIMIT', vi: `Hàng đợi gần đầy (${pending}/${store.queueLimit}).`, en: `Queue nearly full (${pending}/${store.queueLimit}).` });
  }
  const free = freeDiskBytes(store.dataDir);
  if (free < store.diskReserveBytes) {
    out.push({ level: 'critical', code: 'DISK_FULL', vi: `Ổ đĩa gần hết chỗ (còn ${free} byte): không ghi thêm được.`, en: `Disk nearly full (${free} bytes free): new records are refused.` });
  } else if (free < store.diskReserveBytes * WARN_DISK_MULTIPLE) {
    out.push({ level: 'warning', code: 'DISK_LOW', vi: `Ổ đĩa sắp đầy (còn ${free} byte).`, en: `Disk space low (${free} bytes free).` });
  }
  const offset = getMeta(store, 'clock_offset');
  if (offset !== undefined && Math.abs(Number(offset)) > CLOCK_SKEW_WARN_MS) {
    out.push({ level: 'warning', code: 'CLOCK_SKEW', vi: `Đồng hồ máy lệch ${Math.round(Number(offset) / 1000)} giây so với máy chủ: chỉnh giờ.`, en: `The device clock is ${Math.round(Number(offset) / 1000)} s off the server's: set the time.` });
  }
  // Set aside by the sender (quarantine.ts): kept, not sent, until an operator retries or exports them.
  const aside = (stmt(store, 'SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
  if (aside > 0) {
    out.push({
      level: 'warning',
      code: 'QUARANTINED',
      vi: `${aside} bản ghi không gửi được đã được để riêng (các bản ghi khác vẫn gửi): xem "idkiosk queue status", rồi "idkiosk queue retry" hoặc "idkiosk queue export --quarantined".`,
      en: `${aside} record(s) that could not be sent were set aside (the others still go): see "idkiosk queue status", then "idkiosk queue retry" or "idkiosk queue export --quarantined".`,
    });
  }
  const oldest = stmt(store, 'SELECT MIN(at) AS at FROM events WHERE delivered_at IS NULL').get() as { at: number | null };
  if (oldest.at !== null && now - oldest.at > STALLED_AFTER_MS) {
    out.push({ level: 'warning', code: 'SYNC_STALLED', vi: 'Có bản ghi chưa gửi được hơn 24 giờ: kiểm tra mạng.', en: 'A record has waited over 24 hours to be sent: check the network.' });
  }
  return out;
}
