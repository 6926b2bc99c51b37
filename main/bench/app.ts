// `npm run bench app`: what the kiosk app adds on top of the chip. Two figures, each
// against a limit measured in the same run: the headless host from start to ready
// against a bare node:http server, and card placed -> result shown in Chromium against
// the read (and decode) alone through the same emulated reader (target: under +10%).
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import type { Figure } from './figure.js';
import { startHost } from '../host/server.js';
import { demoKiosk } from '../kiosk/kiosk.js';
import { demoCard } from '../paths.js';
import { EmulatedReader } from '../verify/emulated-reader.js';
import { decodeDocument } from '../verify/report.js';

const CHROMIUM = '/usr/bin/chromium';
const now = () => performance.timeOrigin + performance.now();

function fetchOnce(url: string): Promise<void> {
  return new Promise((resolve, reject) => get(url, (res) => res.resume().on('end', resolve)).on('error', reject));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function bareServerMs(): Promise<number> {
  const t0 = now();
  const server = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await fetchOnce(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const ms = now() - t0;
  await new Promise<void>((r) => server.close(() => r()));
  return ms;
}

async function hostReadyMs(): Promise<number> {
  const t0 = now();
  const { kiosk } = await demoKiosk({ card: demoCard('cccd') });
  const host = await startHost(kiosk);
  await fetchOnce(`${host.origin}/`);
  const ms = now() - t0;
  await host.close();
  kiosk.close();
  return ms;
}

async function readAloneMs(): Promise<number> {
  const card = await loadCardFolder(demoCard('cccd'));
  const reader = new EmulatedReader(card);
  reader.setPresent(true);
  const t0 = now();
  const raw = await readDocument(await reader.connect(), { access: { kind: 'can', can: card.secrets.can! } });
  await decodeDocument(raw, 0);
  return now() - t0;
}

async function placedToShownMs(runs: number): Promise<number[]> {
  if (!existsSync(CHROMIUM)) {
    throw new IdkError('NO_CHROMIUM', {
      vi: `Thiếu ${CHROMIUM}: cài gói Debian "chromium" (apt-get install -y chromium).`,
      en: `${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y chromium).`,
    });
  }
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'idk-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  const { kiosk, reader } = await demoKiosk({ card: demoCard('cccd'), autoKey: true });
  const host = await startHost(kiosk);
  const out: number[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(host.url);
    await page.getByTestId('reader-status').waitFor();
    for (let i = 0; i < runs; i++) {
      // The page notes the moment the result is in its DOM; both clocks count from the epoch.
      await page.evaluate(() => {
        const w = window as unknown as { shownAt?: number };
        w.shownAt = undefined;
        const obs = new MutationObserver(() => {
          if (document.querySelector('[data-testid=result] [data-testid=person]')) {
            w.shownAt = performance.timeOrigin + performance.now();
            obs.disconnect();
          }
        });
        obs.observe(document.body, { childList: true, subtree: true });
      });
      const t0 = now();
      reader.setPresent(true);
      await page.waitForFunction(() => (window as unknown as { shownAt?: number }).shownAt !== undefined, undefined, { timeout: 30_000 });
      out.push((await page.evaluate(() => (window as unknown as { shownAt: number }).shownAt)) - t0);
      reader.setPresent(false);
      await kiosk.handlers.clear({});
      await page.getByTestId('demo-place').waitFor();
    }
  } finally {
    await context.close();
    await host.close();
    kiosk.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return out;
}

export async function benchApp(): Promise<Figure[]> {
  // Warm up: module loading and curve tables are not per-start or per-card costs.
  await hostReadyMs();
  await readAloneMs();
  const bare = median([await bareServerMs(), await bareServerMs(), await bareServerMs()]);
  const ready = median([await hostReadyMs(), await hostReadyMs(), await hostReadyMs()]);
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) alone.push(await readAloneMs());
  const shown = await placedToShownMs(6);
  // The first card in a fresh page also pays for the page's first layout: report it apart.
  const [first, ...rest] = shown;
  const read = median(alone);
  return [
    { name: 'host start to ready', value: ready, limit: bare, unit: 'ms', note: 'vs a bare node:http server; includes loading the card folder and scrypt of the PIN' },
    { name: 'card placed to result shown', value: median(rest), limit: read, unit: 'ms', target: 1.1, note: `vs read+decode alone (same latency model); ${rest.length} cards` },
    { name: 'first card in a fresh page', value: first!, limit: read, unit: 'ms', note: 'includes the first layout of the result screen' },
  ];
}
