// HID devices at a counter: the classifier names every device and says whether idkiosk uses
// it; node-hid itself loads here (its prebuilt linux-x64 binary ships in the npm package).
import { describe, expect, it } from 'vitest';
import { classifyHid, deviceLabel, listHidDevices } from '../../drivers/fingerprint/hid-devices.js';

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

  it('enumerates through node-hid, each device classified', async () => {
    const list = await listHidDevices();
    expect(Array.isArray(list)).toBe(true);
    for (const d of list) expect(typeof d.kind).toBe('string');
  });
});
