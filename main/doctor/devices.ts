// The camera (face match, QR from the camera) and the serial ports (QR scanners, fingerprint
// sensors). The camera itself is the page's (getUserMedia); here we can only see whether
// the system has one and whether this user may open it.
import { constants, accessSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { type CheckResult, type DoctorContext, fail, msg, ok, warn } from './check.js';

/** Video capture devices as Linux lists them, with their names. */
function videoDevices(): Array<{ path: string; name: string; access: boolean }> {
  let names: string[];
  try {
    names = readdirSync('/dev').filter((n) => /^video\d+$/.test(n));
  } catch {
    return [];
  }
  return names.sort().map((n) => {
    let name = n;
    try {
      name = readFileSync(`/sys/class/video4linux/${n}/name`, 'utf8').trim() || n;
    } catch {
      // No sysfs entry: the device node's name will do.
    }
    let access = true;
    try {
      accessSync(`/dev/${n}`, constants.R_OK | constants.W_OK);
    } catch {
      access = false;
    }
    return { path: `/dev/${n}`, name, access };
  });
}

export function checkCamera(ctx: DoctorContext): CheckResult {
  if (!ctx.face) return ok('camera', msg('Không dùng camera (--no-face).', 'The camera is not used (--no-face).'));
  if (process.platform !== 'linux') return ok('camera', msg('Camera do trang ứng dụng mở; xem màn hình Trạng thái.', 'The camera is opened by the app page; see the Status screen.'));
  const cams = videoDevices();
  if (cams.length === 0) {
    return warn(
      'camera',
      msg('Không thấy camera nào (/dev/video*): không so khớp khuôn mặt, nhân viên đối chiếu bằng mắt.', 'No camera found (/dev/video*): no face matching, staff compare faces by eye.'),
      msg('Cắm camera USB (UVC) rồi kiểm tra lại: ls /dev/video*.', 'Plug in a USB (UVC) camera and check again: ls /dev/video*.'),
    );
  }
  const denied = cams.filter((c) => !c.access);
  const list = cams.map((c) => `${c.path} "${c.name}"`).join(', ');
  if (denied.length === cams.length) {
    return fail(
      'camera',
      msg(`Có camera (${list}) nhưng người dùng ${userInfo().username} không được mở.`, `Cameras present (${list}) but user ${userInfo().username} may not open them.`),
      msg(`Thêm người dùng vào nhóm video: usermod -aG video ${userInfo().username}, rồi đăng nhập lại.`, `Add the user to the video group: usermod -aG video ${userInfo().username}, then log in again.`),
    );
  }
  return ok('camera', msg(`Camera: ${list}.`, `Cameras: ${list}.`));
}

/** Serial ports through serialport's own listing (udev on Linux); a pty or a port udev does not list is checked on the file system. */
async function serialPorts(): Promise<Array<{ path: string; label: string }>> {
  const { SerialPort } = await import('serialport');
  const ports = await SerialPort.list();
  return ports.map((p) => ({ path: p.path, label: [p.manufacturer, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined].filter(Boolean).join(' ') }));
}

export async function checkSerial(ctx: DoctorContext): Promise<CheckResult> {
  let ports: Array<{ path: string; label: string }>;
  try {
    ports = await serialPorts();
  } catch (e) {
    return warn(
      'serial',
      msg(`Không liệt kê được cổng nối tiếp: ${(e as Error).message}`, `Cannot list serial ports: ${(e as Error).message}`),
      msg('Cài udev (apt-get install udev); máy quét QR kiểu bàn phím và camera vẫn dùng được.', 'Install udev (apt-get install udev); keyboard-wedge QR scanners and the camera still work.'),
    );
  }
  const list = ports.map((p) => (p.label ? `${p.path} (${p.label})` : p.path)).join(', ');
  if (ctx.qrSerial !== undefined) {
    if (!existsSync(ctx.qrSerial)) {
      return fail(
        'serial',
        msg(`Không thấy cổng máy quét QR ${ctx.qrSerial} (--qr-serial).${list ? ` Cổng hiện có: ${list}.` : ''}`, `The QR scanner port ${ctx.qrSerial} (--qr-serial) is not there.${list ? ` Ports present: ${list}.` : ''}`),
        msg('Cắm máy quét QR USB, hoặc sửa --qr-serial cho đúng cổng (ví dụ /dev/ttyACM0).', 'Plug in the USB QR scanner, or give --qr-serial the right port (e.g. /dev/ttyACM0).'),
      );
    }
    try {
      accessSync(ctx.qrSerial, constants.R_OK | constants.W_OK);
    } catch {
      const user = userInfo().username;
      return fail(
        'serial',
        msg(`Người dùng ${user} không được mở cổng máy quét QR ${ctx.qrSerial}.`, `User ${user} may not open the QR scanner port ${ctx.qrSerial}.`),
        msg(`Thêm người dùng vào nhóm dialout: usermod -aG dialout ${user}, rồi đăng nhập lại.`, `Add the user to the dialout group: usermod -aG dialout ${user}, then log in again.`),
      );
    }
    return ok('serial', msg(`Máy quét QR: ${ctx.qrSerial}.${list ? ` Cổng nối tiếp: ${list}.` : ''}`, `QR scanner: ${ctx.qrSerial}.${list ? ` Serial ports: ${list}.` : ''}`));
  }
  return ok(
    'serial',
    ports.length
      ? msg(`Cổng nối tiếp (máy quét QR, cảm biến vân tay): ${list}.`, `Serial ports (QR scanners, fingerprint sensors): ${list}.`)
      : msg('Không có cổng nối tiếp; QR đọc bằng máy quét kiểu bàn phím hoặc camera.', 'No serial ports; QR codes come from keyboard-wedge scanners or the camera.'),
  );
}
