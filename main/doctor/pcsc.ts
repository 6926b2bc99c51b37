// PC/SC: the Node binding loads, pcscd answers, and the readers it knows with their card state.
// In demo mode no reader is needed, so what would fail a live station is only a warning.
import { isIdkError } from '../../core/errors.js';
import { binding } from '../../drivers/pcsc/binding.js';
import { listReaders } from '../../drivers/pcsc/readers.js';
import { type CheckResult, type DoctorContext, errorText, fail, msg, ok, warn } from './check.js';

function bad(ctx: DoctorContext): typeof fail {
  return ctx.demo ? warn : fail;
}

export async function checkBinding(ctx: DoctorContext): Promise<CheckResult> {
  try {
    await binding();
    return ok('pcsc-binding', msg('Thành phần PC/SC cho Node (smartcard) đã nạp.', 'The PC/SC binding for Node (smartcard) is loaded.'));
  } catch (e) {
    const code = isIdkError(e) ? e.code : 'PCSC_BINDING_MISSING';
    const fix =
      code === 'PCSC_LIBRARY_MISSING'
        ? msg('Cài gói "pcscd" và "libpcsclite1": apt-get install pcscd libpcsclite1.', 'Install the "pcscd" and "libpcsclite1" packages: apt-get install pcscd libpcsclite1.')
        : msg(
            `Cài gói "libpcsclite-dev" và "pcscd" (apt-get install libpcsclite-dev pcscd), rồi chạy "${(isIdkError(e) && (e.detail?.rebuild as string)) || 'npm install'}" trong thư mục idkiosk.`,
            `Install the "libpcsclite-dev" and "pcscd" packages (apt-get install libpcsclite-dev pcscd), then run "${(isIdkError(e) && (e.detail?.rebuild as string)) || 'npm install'}" in the idkiosk folder.`,
          );
    return bad(ctx)('pcsc-binding', errorText(e), fix);
  }
}

export async function checkPcscd(ctx: DoctorContext): Promise<CheckResult> {
  let readers;
  try {
    readers = await listReaders();
  } catch (e) {
    if (isIdkError(e) && (e.code === 'PCSC_BINDING_MISSING' || e.code === 'PCSC_LIBRARY_MISSING')) {
      return bad(ctx)('pcscd', msg('Không hỏi được pcscd: thiếu thành phần PC/SC (xem pcsc-binding).', 'Cannot ask pcscd: the PC/SC binding is missing (see pcsc-binding).'), msg('Sửa pcsc-binding trước.', 'Fix pcsc-binding first.'));
    }
    if (isIdkError(e) && e.code === 'PCSCD_NOT_RUNNING') {
      return bad(ctx)(
        'pcscd',
        msg('Dịch vụ đầu đọc thẻ pcscd không chạy.', 'The smart-card service pcscd is not running.'),
        msg('Khởi động nó: systemctl start pcscd.socket (hoặc chạy "pcscd"); nếu chưa cài: apt-get install pcscd.', 'Start it: systemctl start pcscd.socket (or run "pcscd"); if it is not installed: apt-get install pcscd.'),
      );
    }
    return bad(ctx)('pcscd', errorText(e), msg('Khởi động lại pcscd: systemctl restart pcscd.', 'Restart pcscd: systemctl restart pcscd.'));
  }
  const list = readers.map((r) => ({
    vi: `"${r.name}" (${r.mute ? 'thẻ không trả lời' : r.present ? (r.exclusive ? 'có thẻ, đang bị chương trình khác giữ' : 'có thẻ') : 'không có thẻ'})`,
    en: `"${r.name}" (${r.mute ? 'card mute' : r.present ? (r.exclusive ? 'card present, held by another program' : 'card present') : 'no card'})`,
  }));
  const vi = list.map((l) => l.vi).join(', ');
  const en = list.map((l) => l.en).join(', ');
  if (ctx.reader !== undefined && !readers.some((r) => r.name === ctx.reader)) {
    return fail(
      'pcscd',
      msg(`pcscd chạy nhưng không thấy đầu đọc "${ctx.reader}" (--reader).${readers.length ? ` Đầu đọc hiện có: ${vi}.` : ''}`, `pcscd runs but reader "${ctx.reader}" (--reader) is not there.${readers.length ? ` Readers present: ${en}.` : ''}`),
      msg('Cắm đầu đọc vào, hoặc sửa tên trong --reader cho đúng (idkiosk readers).', 'Plug the reader in, or correct the name given to --reader (idkiosk readers).'),
    );
  }
  if (readers.length === 0) {
    return (ctx.demo ? ok('pcscd', msg('pcscd chạy; chưa cắm đầu đọc nào (chế độ trình diễn không cần).', 'pcscd runs; no reader plugged in (the demo needs none).')) : warn(
      'pcscd',
      msg('pcscd chạy nhưng chưa cắm đầu đọc thẻ nào.', 'pcscd runs but no card reader is plugged in.'),
      msg('Cắm đầu đọc thẻ (USB); đầu đọc USB thường cần gói "libccid" (apt-get install libccid).', 'Plug in the card reader (USB); most USB readers need the "libccid" package (apt-get install libccid).'),
    ));
  }
  return ok('pcscd', msg(`pcscd chạy; ${readers.length} đầu đọc: ${vi}.`, `pcscd runs; ${readers.length} reader(s): ${en}.`));
}
