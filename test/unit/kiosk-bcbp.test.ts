// Boarding passes at the airport counter: a pass scanned (the same scanners as the CCCD QR)
// before or after the card is checked against the chip's holder (name with diacritics
// folded, flight today) and shown with the result, on the screen and to a calling program.
import { afterEach, describe, expect, it } from 'vitest';
import type { KioskState } from '../../main/api/contract.js';
import type { ServiceRead } from '../../main/api/service-contract.js';
import type { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { type ServiceRig, call, serviceRig } from '../helpers/service.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function pass(name: string, daysFromToday = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + daysFromToday);
  const day = Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 0)) / 86_400_000);
  return `M1${name.padEnd(20)}EXYZ789 HANDADVN 0123 ${String(day).padStart(3, '0')}Y007A0042 100`;
}

async function rig(profile: 'airport' | 'hospital'): Promise<ServiceRig> {
  const r = await serviceRig({ kiosk: { settings: { profile } } });
  cleanup.push(r.close);
  return r;
}

function until(r: ServiceRig, p: (s: KioskState) => boolean): Promise<KioskState> {
  return new Promise((resolve) => {
    if (p(r.kiosk.state)) return resolve(r.kiosk.state);
    const off = r.kiosk.subscribe((e) => {
      if (e.event === 'state' && p(e.data)) {
        off();
        resolve(e.data);
      }
    });
  });
}

describe('boarding passes on the airport profile', () => {
  it('a pass scanned before the card: name and date checked against the chip, shown with the result and given to the caller', async () => {
    const r = await rig('airport');
    const token = r.pair('DCS');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    r.kiosk.handleQrText(pass('LE/THIMAU MS'), 'wedge');
    (r.reader as EmulatedReader).setPresent(true);
    const done = await r.finished(token, start.id);
    expect(done.result!.boardingPass).toEqual({ passengerName: 'LE/THIMAU MS', pnr: 'XYZ789', from: 'HAN', to: 'DAD', carrier: 'VN', flight: '123', date: expect.any(String), seat: '7A', nameMatch: true, flightToday: true });
    expect(r.kiosk.state.result!.boardingPass).toMatchObject({ nameMatch: true, flightToday: true });
    // The boarding pass changes no decision: it is no proof of identity.
    expect(done.result!.decision).toBe('review');
  });

  it('a pass scanned over the result is checked at once; another name or another day is flagged; the next card drops it', async () => {
    const r = await rig('airport');
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    (r.reader as EmulatedReader).setPresent(true);
    await until(r, (s) => s.phase === 'result');
    r.kiosk.handleQrText(pass('LE/THI MAI'), 'serial');
    expect(r.kiosk.state.result!.boardingPass).toMatchObject({ nameMatch: false, flightToday: true });
    r.kiosk.handleQrText(pass('LE/THI MAU', 1), 'camera');
    expect(r.kiosk.state.result!.boardingPass).toMatchObject({ nameMatch: true, flightToday: false });
    expect(() => r.kiosk.handleQrText('M1LE/THI MAU          EXYZ789 HAN1ADVN 0123 100Y007A0042 100', 'wedge')).toThrow(expect.objectContaining({ code: 'BCBP_MALFORMED' }));
    (r.reader as EmulatedReader).setPresent(false);
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    (r.reader as EmulatedReader).setPresent(true);
    const next = await until(r, (s) => s.phase === 'result' && s.result!.boardingPass === undefined);
    expect(next.result!.person.vn?.fullName).toBe('Lê Thị Mẫu');
  });

  it('on another profile a boarding pass is just not a CCCD QR', async () => {
    const r = await rig('hospital');
    expect(() => r.kiosk.handleQrText(pass('LE/THI MAU'), 'wedge')).toThrow(expect.objectContaining({ code: 'QR_FOREIGN' }));
  });
});
