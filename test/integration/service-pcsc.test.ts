// The local identity service with every part real: a private pcscd, the demo CCCD on vpcd
// served from a worker thread (so the card can be pulled at any APDU), the kiosk in live
// mode, the service on 127.0.0.1, a real store. A service-started read with the card pulled
// and not put back fails with CARD_REMOVED; the card back, the next read gives a signed
// result; two programs racing for the reader get one read and one READER_BUSY.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDevice, ServiceRead } from '../../main/api/service-contract.js';
import { verifyReceipt } from '../../main/formats/receipt.js';
import { PcscCardReader } from '../../main/verify/pcsc-reader.js';
import { demoCard } from '../../main/paths.js';
import { type ServiceRig, call, serviceRig } from '../helpers/service.js';
import { type Fixture, type HostedCard, insert, startFixture, stopFixture, waitPresence } from './pcsc-fixture.js';

let f: Fixture | undefined;
const fx = (): Fixture => {
  if (!f) throw new Error('pcscd did not start (see beforeAll)');
  return f;
};

beforeAll(async () => {
  f = await startFixture();
}, 30_000);

afterAll(async () => {
  await stopFixture(f);
}, 30_000);

const rigs: Array<() => Promise<void>> = [];
const cards: HostedCard[] = [];
afterEach(async () => {
  // The kiosk and its reader let go of the card first, then the card leaves vpcd (as kiosk-pcsc.test.ts does).
  for (const close of rigs.splice(0)) await close();
  for (const c of cards.splice(0)) {
    await c.stop();
    f?.cards.delete(c);
  }
  if (f?.pcscd.alive()) await waitPresence(f.slot0, false);
}, 30_000);

async function rig(): Promise<{ r: ServiceRig; reader: PcscCardReader }> {
  const reader = new PcscCardReader({ watch: { pollMs: 200, retryMs: 200 } });
  const r = await serviceRig({ reader, kiosk: { resumeWithinMs: 1500 } });
  rigs.push(async () => {
    await r.close();
    await reader.close();
  });
  await expect.poll(() => r.kiosk.state.reader.status, { timeout: 15_000 }).toBe('empty');
  return { r, reader };
}

async function placeCard(): Promise<HostedCard> {
  const c = await insert(fx(), demoCard('cccd'));
  cards.push(c);
  return c;
}

describe('the local identity service on a PC/SC reader', () => {
  it('a service-started read with the card pulled mid-read fails CARD_REMOVED; the card back, the next read is signed', async () => {
    const { r } = await rig();
    const token = r.pair('HIS');
    const start = await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } });
    expect(start.status).toBe(202);
    const id = (start.json as ServiceRead).id;
    const card = await placeCard();
    // Well into the files (past PACE), the chip leaves the field and stays away.
    await card.removeAfter(30);
    const failed = await r.finished(token, id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'CARD_REMOVED', messages: { vi: expect.stringContaining('đặt lại thẻ'), en: expect.any(String) } });
    await expect.poll(() => r.kiosk.state.reader.status, { timeout: 10_000 }).toBe('empty');

    const again = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    await card.insert();
    const done = await r.finished(token, again.id);
    expect(done.status).toBe('done');
    expect((done.result!.vn as { fullName: string }).fullName).toBe('Lê Thị Mẫu');
    expect(done.result!.authenticity).toMatchObject({ chip: 'valid' });
    const device = (await call(r.url, 'GET', '/v1/device', { token })).json as ServiceDevice;
    const claims = await verifyReceipt(done.result!.receipt, device.jwk);
    expect(claims.event).toBe(done.result!.eventId);
    expect(r.kiosk.state.result?.record).toMatchObject({ status: 'stored', eventId: done.result!.eventId });
  });

  it('two programs racing for the reader: one read, one READER_BUSY; the loser gets the reader afterwards', async () => {
    const { r } = await rig();
    const his = r.pair('HIS');
    const dcs = r.pair('DCS');
    const [a, b] = await Promise.all([
      call(r.url, 'POST', '/v1/reads', { token: his, body: { can: '012345', face: false } }),
      call(r.url, 'POST', '/v1/reads', { token: dcs, body: { can: '012345', face: false } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const [winner, loser] = a.status === 202 ? [{ reply: a, token: his }, { reply: b, token: dcs }] : [{ reply: b, token: dcs }, { reply: a, token: his }];
    expect((loser.reply.json as { error: { code: string } }).error.code).toBe('READER_BUSY');
    await placeCard();
    const done = await r.finished(winner.token, (winner.reply.json as ServiceRead).id);
    expect(done.status).toBe('done');
    // The same card, read again for the other program now that the reader is free.
    const next = await call(r.url, 'POST', '/v1/reads', { token: loser.token, body: { can: '012345', face: false } });
    expect(next.status).toBe(202);
    expect((await r.finished(loser.token, (next.json as ServiceRead).id)).status).toBe('done');
  });
});
