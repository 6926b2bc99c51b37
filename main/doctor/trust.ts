// The trust store: how many CSCA anchors, how old the CRLs are, and what expires next. An
// out-of-date CRL means a revoked document signer may still look valid: it must be replaced.
import { loadTrustFolder } from '../verify/trust-folder.js';
import { type CheckResult, type DoctorContext, dateText, errorText, fail, msg, ok, warn } from './check.js';

const DAY = 86_400_000;
/** Warn this long before a CRL's next update or an anchor's end. */
const SOON_DAYS = 14;

export async function checkTrust(ctx: DoctorContext): Promise<CheckResult> {
  if (ctx.trust === undefined) {
    return warn(
      'trust',
      msg('Chưa có kho tin cậy (CSCA): mọi thẻ chỉ đạt mức VÀNG (không kiểm được nơi cấp).', 'No trust store (CSCA): every card stays AMBER (the issuer cannot be checked).'),
      msg('Đặt chứng thư CSCA, master list và CRL vào một thư mục và chạy với --trust THƯ-MỤC (gói .deb: /etc/idkiosk/trust).', 'Put the CSCA certificates, master lists and CRLs in a folder and run with --trust DIR (the .deb: /etc/idkiosk/trust).'),
    );
  }
  let store;
  try {
    store = await loadTrustFolder(ctx.trust);
  } catch (e) {
    return fail('trust', errorText(e), msg(`Kiểm tra đường dẫn --trust ${ctx.trust} và quyền đọc.`, `Check the --trust path ${ctx.trust} and read permission.`));
  }
  const now = ctx.now();
  if (store.anchors.length === 0) {
    return fail(
      'trust',
      msg(`Thư mục tin cậy ${ctx.trust} không có chứng thư CSCA dùng được.`, `The trust folder ${ctx.trust} holds no usable CSCA certificate.`),
      msg('Chép chứng thư CSCA (.pem/.der/.cer) hoặc master list (.ml) của nơi cấp vào thư mục này.', "Copy the issuer's CSCA certificates (.pem/.der/.cer) or master list (.ml) into this folder."),
    );
  }
  const crls = store.crls.map((c) => ({ source: c.source, thisUpdate: c.crl.thisUpdate, nextUpdate: c.crl.nextUpdate }));
  const expired = crls.filter((c) => c.nextUpdate && c.nextUpdate.getTime() < now);
  // What needs attention next: the earliest CRL next-update or anchor end still ahead.
  const ahead = [
    ...crls.filter((c) => c.nextUpdate && c.nextUpdate.getTime() >= now).map((c) => ({ what: `CRL ${c.source}`, at: c.nextUpdate! })),
    ...store.anchors.filter((a) => a.certificate.notAfter.getTime() >= now).map((a) => ({ what: `CSCA ${a.certificate.subject}`, at: a.certificate.notAfter })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  const next = ahead[0];
  const newest = crls.reduce<Date | undefined>((m, c) => (!m || c.thisUpdate > m ? c.thisUpdate : m), undefined);
  const ageDays = newest ? Math.floor((now - newest.getTime()) / DAY) : undefined;
  const summary = msg(
    `${store.anchors.length} CSCA, ${crls.length} CRL${newest ? ` (mới nhất phát hành ${dateText(newest)}, ${ageDays} ngày trước)` : ''}${next ? `; hết hạn kế tiếp: ${next.what} ngày ${dateText(next.at)}` : ''}${store.problems.length ? `; ${store.problems.length} tệp không dùng được: ${store.problems.map((p) => p.file).join(', ')}` : ''}.`,
    `${store.anchors.length} CSCA, ${crls.length} CRL(s)${newest ? ` (newest issued ${dateText(newest)}, ${ageDays} days ago)` : ''}${next ? `; next expiry: ${next.what} on ${dateText(next.at)}` : ''}${store.problems.length ? `; ${store.problems.length} unusable file(s): ${store.problems.map((p) => p.file).join(', ')}` : ''}.`,
  );
  if (expired.length) {
    const list = expired.map((c) => `${c.source} (${dateText(c.nextUpdate!)})`).join(', ');
    return fail(
      'trust',
      msg(`CRL đã quá hạn cập nhật: ${list}. Thẻ có chứng thư bị thu hồi sau đó vẫn có thể hiện là hợp lệ. ${summary.vi}`, `CRL past its next update: ${list}. A document signer revoked since may still look valid. ${summary.en}`),
      msg(`Tải CRL mới của nơi cấp (ICAO PKD hoặc cơ quan cấp) vào ${ctx.trust}, thay tệp cũ, rồi khởi động lại kiosk.`, `Download the issuer's current CRL (ICAO PKD or the issuing authority) into ${ctx.trust}, replacing the old one, then restart the kiosk.`),
    );
  }
  if (store.problems.length || (next && next.at.getTime() - now < SOON_DAYS * DAY)) {
    return warn('trust', summary, msg(`Cập nhật ${next ? next.what : 'các tệp'} trong ${ctx.trust} trước khi hết hạn; bỏ các tệp không dùng được.`, `Update ${next ? next.what : 'the files'} in ${ctx.trust} before it expires; remove the unusable files.`));
  }
  return ok('trust', summary);
}
