// HID devices a counter may have plugged in, named for what they are and whether idkiosk can
// use them. The classifier is pure (tested on descriptor fields); enumeration goes through
// node-hid (prebuilt hidraw/libusb binaries ship inside the npm package for linux-x64).
//
// Why "unsupported" is common: USB fingerprint readers (Synaptics, Goodix, Elan, DigitalPersona,
// SecuGen, ...) speak vendor protocols behind vendor SDKs or libfprint, not a standard HID
// usage; HID has no fingerprint-capture usage page. We name them so staff know the device was
// seen and why it is not used, instead of silently ignoring it.
// Usage pages: HID Usage Tables 1.4 (0x8C bar code scanner, 0x8D scale, 0x8E magnetic stripe
// reader, 0x20 sensors, 0xF1D0 FIDO alliance, 0xFF00..0xFFFF vendor-defined).

interface HidDescriptor {
  vendorId: number;
  productId: number;
  usagePage?: number;
  usage?: number;
  product?: string;
  manufacturer?: string;
  path?: string;
  interface?: number;
}

type HidKind =
  | 'hid-pos-barcode-scanner'
  | 'hid-pos-scale'
  | 'hid-pos-magstripe-reader'
  | 'fido-authenticator'
  | 'fingerprint-reader'
  | 'keyboard'
  | 'other';

interface HidClassification {
  kind: HidKind;
  /** True when idkiosk drives it (HID-POS bar code scanners, through drivers/qr/hid-pos.ts). */
  supported: boolean;
  /** A name staff can read: vendor and what the device is. */
  name: string;
  /** Why it is not used, or what uses it; vi and en. */
  note: { vi: string; en: string };
}

/** USB vendor IDs of fingerprint-reader makers (USB-IF assigned; as listed in the public usb.ids database). */
const FINGERPRINT_VENDORS: Readonly<Record<number, string>> = {
  0x05ba: 'DigitalPersona',
  0x06cb: 'Synaptics',
  0x08ff: 'AuthenTec',
  0x1162: 'SecuGen',
  0x138a: 'Validity Sensors',
  0x147e: 'UPEK',
  0x1491: 'Futronic',
  0x16d1: 'Suprema',
  0x1b55: 'ZKTeco',
  0x1c7a: 'Egis Technology',
  0x27c6: 'Goodix',
};

const PAGE = { genericDesktop: 0x01, sensors: 0x20, barcode: 0x8c, scale: 0x8d, magstripe: 0x8e, fido: 0xf1d0 } as const;

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function deviceLabel(d: HidDescriptor): string {
  const who = [d.manufacturer?.trim(), d.product?.trim()].filter((s) => s).join(' ');
  return `${who || 'HID device'} (${hex4(d.vendorId)}:${hex4(d.productId)})`;
}

export function classifyHid(d: HidDescriptor): HidClassification {
  const name = deviceLabel(d);
  const page = d.usagePage;
  if (page === PAGE.barcode) {
    return { kind: 'hid-pos-barcode-scanner', supported: true, name, note: { vi: 'Máy quét mã vạch HID-POS: dùng để đọc mã QR trên thẻ.', en: 'HID-POS bar code scanner: used to read the card QR code.' } };
  }
  if (page === PAGE.scale) return { kind: 'hid-pos-scale', supported: false, name, note: { vi: 'Cân HID-POS: idkiosk không dùng thiết bị này.', en: 'HID-POS scale: idkiosk does not use this device.' } };
  if (page === PAGE.magstripe) {
    return { kind: 'hid-pos-magstripe-reader', supported: false, name, note: { vi: 'Đầu đọc thẻ từ HID-POS: thẻ CCCD không có dải từ, idkiosk không dùng thiết bị này.', en: 'HID-POS magnetic stripe reader: CCCD cards have no stripe; idkiosk does not use it.' } };
  }
  if (page === PAGE.fido) {
    return { kind: 'fido-authenticator', supported: false, name, note: { vi: 'Khóa bảo mật FIDO: vân tay (nếu có) chỉ mở khóa thiết bị, không cho phép so khớp vân tay công dân.', en: 'FIDO security key: its fingerprint (if any) only unlocks the key and cannot match a citizen.' } };
  }
  const vendor = FINGERPRINT_VENDORS[d.vendorId];
  if (vendor !== undefined && !(page === PAGE.genericDesktop && (d.usage === 0x02 || d.usage === 0x06))) {
    return {
      kind: 'fingerprint-reader',
      supported: false,
      name: `${vendor} fingerprint reader ${deviceLabel(d)}`,
      note: {
        vi: `Đầu đọc vân tay ${vendor} dùng giao thức riêng của hãng: chưa được hỗ trợ, hãy dùng cảm biến UART R30x (R307/R503).`,
        en: `${vendor} fingerprint reader speaks the vendor's own protocol: not supported; use an R30x UART sensor (R307/R503).`,
      },
    };
  }
  if (page === PAGE.genericDesktop && d.usage === 0x06) {
    return { kind: 'keyboard', supported: false, name, note: { vi: 'Bàn phím (máy quét kiểu bàn phím được đọc qua ô nhập liệu).', en: 'Keyboard (keyboard-wedge scanners are read through the input field).' } };
  }
  return { kind: 'other', supported: false, name, note: { vi: 'Thiết bị HID không dùng cho định danh.', en: 'HID device not used for identification.' } };
}

/** node-hid's enumeration (hidraw on Linux). */
export async function nodeHidDevices(): Promise<HidDescriptor[]> {
  const HID = await import('node-hid');
  return HID.devicesAsync();
}

/**
 * Every HID interface attached now, classified. Needs read access to /dev/hidraw* on Linux.
 * `enumerate` is node-hid unless a caller passes another source of descriptors (tests, where
 * the machine has no HID device to enumerate).
 */
export async function listHidDevices(enumerate: () => Promise<HidDescriptor[]> = nodeHidDevices): Promise<(HidDescriptor & HidClassification)[]> {
  return (await enumerate()).map((d) => ({ ...d, ...classifyHid(d) }));
}
