// The station's data folder: the device key's protection, whether the folder can be written,
// the free disk with the days of queue it leaves at the current rate, and the store's
// integrity. Nothing here writes to the store; the write test is one temporary file.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { KEY_FILE } from '../../offline-cache/device-keys.js';
import { DEFAULTS, freeDiskBytes } from '../../offline-cache/store.js';
import { type CheckResult, type DoctorContext, bytesText, fail, msg, ok, warn } from './check.js';
import type { StoreProbe } from './store-probe.js';

/** A verification's size on disk before there is a store to measure (events, index, WAL), generous. */
const ESTIMATED_EVENT_BYTES = 4096;

export function checkKeychain(ctx: DoctorContext): CheckResult {
  const path = join(ctx.dataDir, KEY_FILE);
  if (!existsSync(path)) {
    return ok('keychain', msg(`Chưa có khóa thiết bị (${path}): được tạo lần chạy đầu (tệp 0600; ứng dụng Electron dùng kho khóa của hệ điều hành).`, `No device key yet (${path}): it is created at the first start (a 0600 file; the Electron app uses the OS keychain).`));
  }
  let protection: string;
  try {
    protection = (JSON.parse(readFileSync(path, 'utf8')) as { protection?: string }).protection ?? '?';
  } catch {
    return fail('keychain', msg(`Tệp khóa thiết bị ${path} bị hỏng.`, `The device key file ${path} is damaged.`), msg('Khôi phục tệp từ bản sao lưu; không có bản sao thì gọi kỹ thuật (máy phải đăng ký lại).', 'Restore the file from backup; without one, call support (the station must enrol again).'));
  }
  if (process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      return fail(
        'keychain',
        msg(`Tệp khóa thiết bị ${path} để người khác đọc được (quyền ${mode.toString(8)}).`, `The device key file ${path} is readable by others (mode ${mode.toString(8)}).`),
        msg(`chmod 600 ${path}`, `chmod 600 ${path}`),
      );
    }
  }
  if (protection === 'file-0600') return ok('keychain', msg(`Khóa thiết bị: tệp chỉ chủ sở hữu đọc được (0600), ${path}.`, `Device key: a file only its owner can read (0600), ${path}.`));
  if (/basic_text|unknown/.test(protection)) {
    return warn('keychain', msg(`Khóa thiết bị niêm phong bằng ${protection}, vốn không mã hóa thật.`, `The device key is sealed by ${protection}, which does not really encrypt.`), msg('Bật keyring của hệ điều hành (gnome-keyring hoặc kwallet) cho tài khoản kiosk.', "Start the OS keyring (gnome-keyring or kwallet) for the kiosk's account."));
  }
  return ok('keychain', msg(`Khóa thiết bị niêm phong bằng kho khóa hệ điều hành (${protection}).`, `Device key sealed by the OS keychain (${protection}).`));
}

/** The folder, or the nearest existing one above it (where it would be created). */
function existing(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export function checkDataDir(ctx: DoctorContext): CheckResult {
  const dir = ctx.dataDir;
  const at = existing(dir);
  const user = userInfo().username;
  const probe = join(at, `.idkiosk-doctor-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'idkiosk doctor\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') {
      return fail(
        'data-dir',
        msg(`Thư mục dữ liệu ${dir} nằm trên ổ chỉ đọc: không lưu được kết quả xác thực.`, `The data folder ${dir} is on a read-only file system: no verification can be recorded.`),
        msg(`Kiểm tra lỗi đĩa (dmesg), rồi gắn lại cho ghi được: mount -o remount,rw ${at}; hoặc chọn thư mục khác bằng --data-dir.`, `Check the disk for errors (dmesg), then remount it writable: mount -o remount,rw ${at}; or choose another folder with --data-dir.`),
      );
    }
    if (code === 'ENOSPC') {
      return fail('data-dir', msg(`Ổ đĩa của ${dir} đã đầy.`, `The disk holding ${dir} is full.`), msg('Giải phóng dung lượng (xem disk).', 'Free some space (see disk).'));
    }
    return fail(
      'data-dir',
      msg(`Người dùng ${user} không ghi được vào ${at} (${code ?? (e as Error).message}).`, `User ${user} cannot write to ${at} (${code ?? (e as Error).message}).`),
      msg(`Cho người dùng kiosk quyền ghi: chown -R ${user} ${dir}; chmod 700 ${dir}.`, `Give the kiosk's user write access: chown -R ${user} ${dir}; chmod 700 ${dir}.`),
    );
  }
  if (at !== dir) return ok('data-dir', msg(`Thư mục dữ liệu ${dir} chưa có; sẽ được tạo (0700) lần chạy đầu.`, `The data folder ${dir} does not exist yet; it is created (0700) at the first start.`));
  const mode = statSync(dir).mode & 0o777;
  if (process.platform !== 'win32' && mode & 0o007) {
    return warn('data-dir', msg(`Thư mục dữ liệu ${dir} để mọi người đọc được (quyền ${mode.toString(8)}).`, `The data folder ${dir} is open to everyone (mode ${mode.toString(8)}).`), msg(`chmod 700 ${dir}`, `chmod 700 ${dir}`));
  }
  return ok('data-dir', msg(`Thư mục dữ liệu ${dir}: ghi được (quyền ${mode.toString(8)}).`, `Data folder ${dir}: writable (mode ${mode.toString(8)}).`));
}

export function checkDisk(ctx: DoctorContext, store: StoreProbe): CheckResult {
  const at = existing(ctx.dataDir);
  let free: number;
  try {
    free = freeDiskBytes(at);
  } catch (e) {
    return warn('disk', msg(`Không đo được dung lượng trống ở ${at}: ${(e as Error).message}`, `Cannot measure free space at ${at}: ${(e as Error).message}`), msg('Kiểm tra ổ đĩa (df -h).', 'Check the disk (df -h).'));
  }
  const reserve = DEFAULTS.diskReserveBytes;
  const usable = free - reserve;
  if (usable <= 0) {
    return fail(
      'disk',
      msg(`Ổ đĩa gần đầy: còn ${bytesText(free)} ở ${at}, dưới mức dự trữ ${bytesText(reserve)}, nên kiosk từ chối lưu kết quả mới.`, `The disk is nearly full: ${bytesText(free)} free at ${at}, below the ${bytesText(reserve)} reserve, so the kiosk refuses to record new results.`),
      msg('Giải phóng dung lượng (nhật ký cũ, tệp tải về), hoặc chuyển dữ liệu sang ổ lớn hơn bằng --data-dir; kết quả đã lưu vẫn an toàn.', 'Free some space (old logs, downloads), or move the data to a larger disk with --data-dir; results already stored are safe.'),
    );
  }
  const perDay = store.recent.count / store.recent.days;
  const eventBytes = store.bytesPerEvent ?? ESTIMATED_EVENT_BYTES;
  if (perDay === 0) {
    return ok('disk', msg(`Còn trống ${bytesText(free)} ở ${at}; 7 ngày qua chưa có lượt xác thực nào để tính tốc độ.`, `${bytesText(free)} free at ${at}; no verifications in the last 7 days to measure a rate.`));
  }
  // What runs out first while the link is down: the disk, or the queue's own limit.
  const daysDisk = usable / (perDay * eventBytes);
  const daysQueue = (DEFAULTS.queueLimit - store.unsent) / perDay;
  const days = Math.floor(Math.min(daysDisk, daysQueue));
  const rate = perDay.toFixed(perDay < 10 ? 1 : 0);
  const text = msg(
    `Còn trống ${bytesText(free)} ở ${at}; với ${rate} lượt/ngày (~${bytesText(eventBytes)} mỗi lượt), hàng đợi chứa thêm được khoảng ${days} ngày khi mất mạng.`,
    `${bytesText(free)} free at ${at}; at ${rate} verifications/day (~${bytesText(eventBytes)} each) the queue has room for about ${days} days without a link.`,
  );
  if (days < 2) return fail('disk', text, msg('Giải phóng dung lượng ngay, và kiểm tra đường truyền tới máy chủ đồng bộ.', 'Free space now, and check the link to the sync server.'));
  if (days < 14) return warn('disk', text, msg('Giải phóng dung lượng hoặc dùng ổ lớn hơn (--data-dir); kiểm tra đồng bộ chạy đều.', 'Free space or use a larger disk (--data-dir); check that syncing runs.'));
  return ok('disk', text);
}

export function checkStore(store: StoreProbe): CheckResult {
  if (!store.exists) return ok('store', msg(`Chưa có kho sự kiện (${store.path}): được tạo lần chạy đầu.`, `No event store yet (${store.path}): it is created at the first start.`));
  const broken = store.error !== undefined || store.integrity.length !== 1 || store.integrity[0] !== 'ok';
  if (broken) {
    const why = store.error ?? store.integrity.slice(0, 3).join('; ');
    return fail(
      'store',
      msg(`Kho sự kiện ${store.path} bị hỏng (${why}).`, `The event store ${store.path} is damaged (${why}).`),
      msg(
        'Dừng kiosk, xuất những gì đọc được (idkiosk queue export), giữ nguyên tệp và gọi kỹ thuật; đừng xóa nó.',
        'Stop the kiosk, export what can be read (idkiosk queue export), keep the file as it is and call support; do not delete it.',
      ),
    );
  }
  if (store.keyProblem) {
    const e = store.keyProblem;
    return fail(
      'store',
      msg(`${e.messages.vi} (${e.code})`, `${e.messages.en} (${e.code})`),
      msg('Khôi phục device-key.json của máy này từ bản sao lưu; đừng tạo khóa mới, đừng xóa kho. Gọi kỹ thuật nếu không có bản sao.', "Restore this station's device-key.json from its backup; do not make a new key or delete the store. Call support if there is no backup."),
    );
  }
  const text = msg(`Kho sự kiện nguyên vẹn (integrity_check: ok): ${store.events} bản ghi, ${store.unsent} chưa gửi.`, `Event store intact (integrity_check: ok): ${store.events} records, ${store.unsent} unsent.`);
  if (store.quarantined.count > 0) {
    const codes = store.quarantined.codes.join(', ');
    return warn(
      'store',
      msg(`${text.vi} ${store.quarantined.count} kết quả bị để riêng vì không niêm phong hoặc gửi được (${codes}); các kết quả khác vẫn được gửi.`, `${text.en} ${store.quarantined.count} set aside because they could not be sealed or sent (${codes}); the others are still sent.`),
      msg('Xem: idkiosk queue status; thử lại: idkiosk queue retry; xuất để kiểm tra: idkiosk queue export --quarantined.', 'See them: idkiosk queue status; retry: idkiosk queue retry; export for inspection: idkiosk queue export --quarantined.'),
    );
  }
  return ok('store', text);
}
