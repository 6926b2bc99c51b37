// The service switched on and off behind the PIN (settings `apiPort`), remembered across a
// restart, on a real socket; the portrait follows the `sharePhoto` setting.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceRead } from '../../main/api/service-contract.js';
import { ClientRegistry } from '../../main/api/clients.js';
import { type Kiosk, kioskFor } from '../../main/kiosk/kiosk.js';
import { followServiceSettings } from '../../main/kiosk/service-run.js';
import { demoCard } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { call } from '../helpers/service.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function kiosk(dataDir: string): Promise<{ kiosk: Kiosk; follow: ReturnType<typeof followServiceSettings>; logs: string[] }> {
  const logs: string[] = [];
  const k = await kioskFor({ card: demoCard('cccd'), dataDir, log: (l) => logs.push(l), pin: '246810' });
  const follow = followServiceSettings(k, { log: (l) => logs.push(l) });
  await follow.settled();
  cleanup.push(() => k.close());
  return { kiosk: k, follow, logs };
}

describe('the service from Settings', () => {
  it('is off by default, switched on and off behind the PIN, and remembered after a restart', async () => {
    const dir = tempDir('idk-svcset-');
    const token = new ClientRegistry(dir).pair('HIS', []).token;
    const a = await kiosk(dir);
    expect(a.follow.current()).toBeUndefined();
    await expect(a.kiosk.handlers.updateSettings({ session: 'x'.repeat(20), apiPort: 12345 })).rejects.toMatchObject({ code: 'SETTINGS_LOCKED' });
    const { session } = await a.kiosk.handlers.unlockSettings({ pin: '246810' });
    const port = await freePort();
    const { settings } = await a.kiosk.handlers.updateSettings({ session, apiPort: port, sharePhoto: true });
    expect(settings).toMatchObject({ apiPort: port, sharePhoto: true });
    await a.follow.settled();
    const url = `http://127.0.0.1:${port}`;
    expect((await call(url, 'GET', '/v1/status', { token })).status).toBe(200);
    // With sharePhoto on, a caller may have the portrait.
    const read = (await call(url, 'POST', '/v1/reads', { token, body: { can: '012345', photo: true, face: false } })).json as ServiceRead;
    await a.kiosk.handlers.demoCard({ present: true });
    const done = (await call(url, 'GET', `/v1/reads/${read.id}?wait=20`, { token })).json as ServiceRead;
    expect(done.result?.photo).toMatch(/^data:image\//);
    await a.kiosk.handlers.updateSettings({ session, apiPort: null });
    await a.follow.settled();
    await expect(call(url, 'GET', '/v1/status', { token })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await a.kiosk.handlers.updateSettings({ session, apiPort: port });
    await a.kiosk.close();
    cleanup.pop();
    // Restarted on the same folder: the service comes back on the saved port.
    const b = await kiosk(dir);
    expect(b.follow.current()?.port).toBe(port);
    expect((await call(url, 'GET', '/v1/status', { token })).status).toBe(200);
  });
});
