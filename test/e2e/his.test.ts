// The counter's own software calling the kiosk, end to end: a sample hospital page ("HIS")
// served from its own origin (http://his.benhvien.test:PORT, mapped to 127.0.0.1 by Chromium)
// is paired with `idkiosk api pair` (the real command), calls the local service from
// Debian's Chromium, the demo card is placed, and the page shows the person's fields,
// verifies the receipt with WebCrypto against GET /v1/device, and fetches the FHIR Patient.
// The test verifies the same receipt with jose and validates the FHIR with the fhir
// package. The same page from an origin that was not paired is refused by CORS, and
// the kiosk never starts a read for it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceDevice } from '../../main/api/service-contract.js';
import { verifyReceipt } from '../../main/formats/receipt.js';
import { packageRoot } from '../../main/paths.js';
import { pendingAudit } from '../../offline-cache/audit.js';
import type { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { tempDir } from '../helpers/cards.js';
import { validateR4 } from '../helpers/fhir.js';
import { call, serviceRig } from '../helpers/service.js';
import { CHROMIUM, requireChromium, rig, shot } from './harness.js';
import { createServer as netServer } from 'node:net';
import { recordAudit } from '../../offline-cache/audit.js';
import { ClientRegistry } from '../../main/api/clients.js';
import { followServiceSettings } from '../../main/kiosk/service-run.js';
import { STRINGS } from '../../renderer/i18n.js';
import { loadDemo } from '../helpers/cards.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = netServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

const run = promisify(execFile);
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The sample HIS: two static files, on its own port (its own origin). */
async function hisServer(): Promise<number> {
  const dir = join(packageRoot(), 'test/e2e/his');
  const server: Server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname === '/his.js' ? 'his.js' : 'index.html';
    void readFile(join(dir, name)).then((body) => {
      res.writeHead(200, { 'Content-Type': name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

describe('a hospital page from another origin calls the local service', () => {
  it('paired: card placed, fields shown, receipt verified, FHIR valid; unpaired origin refused', async () => {
    requireChromium();
    const dataDir = tempDir('idk-his-');
    const hisPort = await hisServer();
    const hisOrigin = `http://his.benhvien.test:${hisPort}`;
    // Pairing as an administrator does it: the real command, the token printed once.
    const paired = await run(process.execPath, [join(packageRoot(), 'dist/main/cli.js'), 'api', 'pair', '--name', 'HIS', '--origin', hisOrigin, '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
    const { token } = JSON.parse(paired.stdout) as { token: string };
    const r = await serviceRig({ dataDir, latency: { perApduMs: 5, bitsPerSecond: 424_000 } });
    cleanup.push(r.close);

    const context = await chromium.launchPersistentContext(tempDir('idk-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--host-resolver-rules=MAP his.benhvien.test 127.0.0.1, MAP evil.test 127.0.0.1',
        // A real HIS is served over https, a secure context where WebCrypto exists; this test page is plain http.
        `--unsafely-treat-insecure-origin-as-secure=${hisOrigin}`],
      viewport: { width: 1100, height: 1400 },
      locale: 'vi-VN',
    });
    cleanup.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    const fragment = `#svc=${encodeURIComponent(r.url)}&t=${encodeURIComponent(token)}`;
    await page.goto(`${hisOrigin}/${fragment}`);
    await page.click('#read');
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/Mời đặt thẻ|waiting-card/);
    // The kiosk's reader waits for the card, as its own screen says.
    expect((await call(r.url, 'GET', '/v1/status', { token })).json).toMatchObject({ kiosk: { busy: true } });
    (r.reader as EmulatedReader).setPresent(true);
    // No key came from the HIS: the kiosk asks on its own screen, and the clerk types the CAN there.
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe('need-key');
    expect(r.kiosk.state.phase).toBe('need-key');
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    await expect.poll(async () => `${await page.textContent('#status')} ${await page.textContent('#error')}`, { timeout: 30_000 }).toBe('Xong ');
    expect(await page.textContent('#name')).toBe('Lê Thị Mẫu');
    expect(await page.textContent('#idNumber')).toBe('000190012345');
    expect(await page.textContent('#dob')).toBe('1990-05-17');
    expect(await page.textContent('#residence')).toBe('Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng');
    expect(await page.textContent('#decision')).toBe('review');
    // Chromium's WebCrypto verified the receipt; so does jose here, with the key the kiosk publishes.
    expect(await page.textContent('#receiptCheck')).toBe('hợp lệ');
    const receipt = (await page.textContent('#receipt'))!;
    const device = (await call(r.url, 'GET', '/v1/device', { token })).json as ServiceDevice;
    const claims = await verifyReceipt(receipt, device.jwk);
    expect(claims.device).toBe(r.store.keys.deviceId);
    const fhir = JSON.parse((await page.textContent('#fhir'))!) as { resourceType: string; name: Array<{ text: string }> };
    expect(fhir.resourceType).toBe('Patient');
    expect(fhir.name[0]!.text).toBe('Lê Thị Mẫu');
    expect(validateR4(fhir).errors).toEqual([]);
    await shot(page, 'his-paired');

    // The same page, token and all, from an origin nobody paired: the browser's preflight is refused.
    const before = r.kiosk.state.seq;
    const evil = await context.newPage();
    await evil.goto(`http://evil.test:${hisPort}/${fragment}`);
    await evil.click('#read');
    await expect.poll(() => evil.textContent('#status'), { timeout: 10_000 }).toBe('Lỗi');
    expect(await evil.textContent('#error')).toMatch(/Failed to fetch/);
    expect(await evil.textContent('#name')).toBe('');
    // Nothing moved at the kiosk, and the refusal is in the audit lines.
    expect(r.kiosk.state.seq).toBe(before);
    expect(pendingAudit(r.store, 1000).map((l) => JSON.parse(l.line) as { what: string; status: number }).some((l) => l.what === 'OPTIONS (preflight)' && l.status === 403)).toBe(true);
    await shot(evil, 'his-unpaired');
  });

  it('the operator switches the service on in Settings behind the PIN, and the photo share with it', async () => {
    const r = await rig({ card: await loadDemo('cccd'), store: true });
    cleanup.push(r.close);
    const dataDir = tempDir('idk-his-settings-');
    r.kiosk.servicePlug = { keys: r.store!.keys, audit: (l) => void recordAudit(r.store!, l), dataDir };
    const follow = followServiceSettings(r.kiosk, { log: () => undefined });
    const token = new ClientRegistry(dataDir).pair('HIS', []).token;
    expect(follow.current()).toBeUndefined();
    const port = await freePort();
    const { page } = r;
    await page.getByTestId('tab-settings').click();
    await page.getByLabel(STRINGS.vi.pinLabel).fill('123456');
    await page.keyboard.press('Enter');
    await page.getByTestId('api-port').fill(String(port));
    await page.getByTestId('share-photo').check();
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('saved').textContent()).toBe(STRINGS.vi.saved);
    expect(r.kiosk.currentSettings).toMatchObject({ apiPort: port, sharePhoto: true });
    await follow.settled();
    expect((await call(`http://127.0.0.1:${port}`, 'GET', '/v1/status', { token })).status).toBe(200);
    await shot(page, 'settings-service');
    // Cleared again: off.
    await page.getByTestId('api-port').fill('');
    await page.getByTestId('save').click();
    await expect.poll(() => r.kiosk.currentSettings.apiPort).toBe(null);
    await follow.settled();
    await expect(call(`http://127.0.0.1:${port}`, 'GET', '/v1/status', { token })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
