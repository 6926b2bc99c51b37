// HID devices at a counter: the classifier names every device and says whether idkiosk uses
// it; node-hid itself loads here (its prebuilt linux-x64 binary ships in the npm package).
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { classifyHid, deviceLabel, listHidDevices, nodeHidDevices } from '../../drivers/fingerprint/hid-devices.js';

describe('HID classification', () => {
  it('a HID-POS bar code scanner is supported', () => {
    const c = classifyHid({ vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x8c, usage: 0x02, product: 'Scanner' });
    expect(c).toMatchObject({ kind: 'hid-pos-barcode-scanner', supported: true });
  });

  it('fingerprint readers of known makers are named and marked unsupported with a reason', () => {
    const c = classifyHid({ vendorId: 0x27c6, productId: 0x5395, usagePage: 0xff00, usage: 1 });
    expect(c.kind).toBe('fingerprint-reader');
    expect(c.supported).toBe(false);
    expect(c.name).toMatch(/^Goodix fingerprint reader .*27c6:5395/);
    expect(c.note.vi).toMatch(/R30x/);
    expect(c.note.en).toMatch(/not supported/);
    // A Synaptics touchpad's keyboard/mouse collections are not fingerprint readers.
    expect(classifyHid({ vendorId: 0x06cb, productId: 0x1, usagePage: 0x01, usage: 0x02 }).kind).toBe('other');
  });

  it('other HID-POS devices, FIDO keys and keyboards are named, not ignored', () => {
    expect(classifyHid({ vendorId: 1, productId: 2, usagePage: 0x8d }).kind).toBe('hid-pos-scale');
    expect(classifyHid({ vendorId: 1, productId: 2, usagePage: 0x8e }).kind).toBe('hid-pos-magstripe-reader');
    expect(classifyHid({ vendorId: 0x1050, productId: 0x0407, usagePage: 0xf1d0, usage: 1 })).toMatchObject({ kind: 'fido-authenticator', supported: false });
    expect(classifyHid({ vendorId: 1, productId: 2, usagePage: 1, usage: 6 }).kind).toBe('keyboard');
    const other = classifyHid({ vendorId: 0xabcd, productId: 0x0001, manufacturer: 'Acme ', product: ' Widget' });
    expect(other).toMatchObject({ kind: 'other', supported: false, name: 'Acme Widget (abcd:0001)' });
    expect(deviceLabel({ vendorId: 0x10, productId: 0x20 })).toBe('HID device (0010:0020)');
  });

  it('node-hid loads and lists exactly the hidraw devices the kernel has', async () => {
    // The kernel's own list (hidraw is node-hid's Linux backend): a device node per /sys/class/hidraw entry.
    const kernel = existsSync('/sys/class/hidraw') ? readdirSync('/sys/class/hidraw').map((n) => `/dev/${n}`).sort() : [];
    const seen = await nodeHidDevices();
    expect(seen.map((d) => d.path).sort()).toEqual(kernel);
  });

  it('every enumerated device comes back classified, none dropped', async () => {
    // Descriptors as node-hid reports them (HID.Device fields); this machine has no HID device
    // to enumerate, so the listing is fed through the same function node-hid's result goes through.
    const devices = [
      { vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x8c, usage: 0x02, path: '/dev/hidraw0', product: 'Scanner', interface: 0 },
      { vendorId: 0x27c6, productId: 0x5395, usagePage: 0xff00, usage: 1, path: '/dev/hidraw1', interface: 0 },
      { vendorId: 0x046d, productId: 0xc31c, usagePage: 1, usage: 6, path: '/dev/hidraw2', manufacturer: 'Logitech', product: 'Keyboard', interface: 0 },
    ];
    const list = await listHidDevices(async () => devices);
    expect(list.map((d) => d.path)).toEqual(devices.map((d) => d.path));
    expect(list.map((d) => d.kind)).toEqual(['hid-pos-barcode-scanner', 'fingerprint-reader', 'keyboard']);
    expect(list.map((d) => d.supported)).toEqual([true, false, false]);
    for (const d of list) expect(d.name).toMatch(/\([0-9a-f]{4}:[0-9a-f]{4}\)/);
  });
});
