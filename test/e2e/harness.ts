// What every end-to-end test needs: the renderer compiled from the current sources, a
// kiosk with the software chip behind the real headless host, and Debian's Chromium
// driven by playwright-core with a fresh profile. A missing Chromium fails the test with
// the package to install; nothing is skipped.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import ts from 'typescript';
import type { LatencyModel } from '../../drivers/emulator/card-image.js';
import type { Profile, SettingsView } from '../../main/api/contract.js';
import { startHost, type Host } from '../../main/host/server.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { packageRoot } from '../../main/paths.js';
import { EmulatedReader, demoCanSource } from '../../main/verify/emulated-reader.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { tempDir } from '../helpers/cards.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type LocalStore, openLocalStore } from '../../offline-cache/store.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import type { KioskFaceOptions } from '../../main/kiosk/camera.js';
import { FaceWorker } from '../../main/verify/face/client.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(packageRoot(), 'test', 'artifacts');

let compiled: string | undefined;

/** tsc over renderer/ into a temp dir: the page under test is the source under test. */
export function compileRenderer(): string {
  if (compiled) return compiled;
  const root = packageRoot();
  const out = tempDir('idk-renderer-');
  const files = readdirSync(join(root, 'renderer'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'renderer', f));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    strict: true,
    skipLibCheck: true,
    types: [],
    rootDir: root,
    outDir: out,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0 || emitted.emitSkipped) {
    throw new Error(`renderer does not compile:\n${ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })}`);
  }
  compiled = join(out, 'renderer');
  return compiled;
}

export interface Rig {
  store: LocalStore | undefined;
  kiosk: Kiosk;
  reader: EmulatedReader;
  host: Host;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface RigOptions {
  card: CardImage;
  autoKey?: boolean;
  latency?: LatencyModel | null;
  settings?: Partial<SettingsView> & { profile?: Profile };
  pin?: string;
  touch?: boolean;
  /** A real local store (SQLite in a temp folder) behind confirm and the status screen. */
  store?: boolean;
  /** Face 1:1 after the read (a real FaceWorker; off by default so other tests stay fast). */
  face?: boolean | Omit<KioskFaceOptions, 'worker'>;
  /** Look for the card's QR code in the camera while a key is needed. */
  qrCamera?: boolean;
  /** CSCAs to chain the card's signer to (else a consistent card is amber). */
  trust?: TrustStore;
  /** Chromium's camera: a Y4M/MJPEG file played as a fake device, or 'none' (permission granted, no device). */
  camera?: string | 'none';
  /** The page's time zone (default the machine's). */
  timezoneId?: string;
  /** Script run in the page before its own (e.g. to watch WebAudio). */
  initScript?: () => void;
}

/** Chromium switches for a camera: a file as the fake device, or no device at all; the permission prompt answered yes. */
export function cameraArgs(camera: string | 'none' | undefined): string[] {
  if (camera === undefined) return [];
  if (camera === 'none') return ['--use-fake-ui-for-media-stream'];
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`];
}

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y chromium; listed in .ci/apt-packages.d/ui.txt)`);
  }
}

export async function launch(touch = false, camera?: string | 'none', timezoneId?: string): Promise<{ context: BrowserContext; page: Page }> {
  requireChromium();
  const context = await chromium.launchPersistentContext(tempDir('idk-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync', ...cameraArgs(camera)],
    viewport: { width: 1280, height: 900 },
    hasTouch: touch,
    locale: 'vi-VN',
    ...(timezoneId ? { timezoneId } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

export async function rig(o: RigOptions): Promise<Rig> {
  const reader = new EmulatedReader(o.card, { latency: o.latency });
  const store = o.store ? openLocalStore({ dataDir: mkdtempSync(join(tmpdir(), 'idk-e2e-store-')) }) : undefined;
  const recorder = store ? storeRecorder(store) : undefined;
  const face = o.face ? { ...(o.face === true ? {} : o.face), worker: new FaceWorker() } : undefined;
  const kiosk = new Kiosk({ reader, mode: 'demo', keySources: o.autoKey ? [demoCanSource(o.card)] : [], settings: o.settings, pin: o.pin, recorder, store: recorder, face, trust: o.trust, qrCamera: o.qrCamera });
  if (store) kiosk.onClose(() => store.close());
  const b = await browse(kiosk, { touch: o.touch, camera: o.camera, timezoneId: o.timezoneId, initScript: o.initScript });
  return { kiosk, reader, store, ...b };
}

export interface Browsed {
  host: Host;
  context: BrowserContext;
  page: Page;
  /** Closes browser, host and kiosk; throws if the page logged errors. */
  close(): Promise<void>;
}

/** Any kiosk (e.g. one built by kioskFor on a PC/SC reader) behind the headless host, opened in Chromium. */
export async function browse(kiosk: Kiosk, o: { touch?: boolean; camera?: string | 'none'; timezoneId?: string; initScript?: () => void } = {}): Promise<Browsed> {
  const js = compileRenderer();
  const host = await startHost(kiosk, { roots: { static: join(packageRoot(), 'renderer'), js } });
  const { context, page } = await launch(o.touch, o.camera, o.timezoneId);
  if (o.initScript) await page.addInitScript(o.initScript);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(host.url);
  return {
    host,
    context,
    page,
    async close() {
      await context.close();
      await host.close();
      await kiosk.close();
      // A CSP violation or an uncaught error in the page is a failure even if the screen looked right.
      if (errors.length > 0) throw new Error(`page errors:\n${errors.join('\n')}`);
    },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** WCAG 2 relative luminance contrast of every visible text against its painted background. */
export async function contrastProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const parse = (c: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const bgOf = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0.5) return c;
      }
      return [255, 255, 255, 1];
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent?.trim()) continue;
      const st = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (st.visibility === 'hidden' || st.display === 'none' || r.width <= 1 || r.height <= 1) continue;
      const fg = parse(st.color);
      const l1 = lum(fg);
      const l2 = lum(bgOf(el));
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(st.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${ratio.toFixed(2)}: "${n.textContent.trim().slice(0, 40)}"`);
    }
    return out;
  });
}

/** Controls without an accessible name (label, aria-label or text). */
export async function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, input, select, textarea, progress, output'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const labelled =
        (el.getAttribute('aria-label') ?? '').trim() !== '' ||
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        (el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '');
      if (!labelled) out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
}

/** Whether the element lies wholly inside the viewport as it is now (no scrolling needed to see or press it). */
export async function inViewport(page: Page, testId: string): Promise<boolean> {
  const box = await page.getByTestId(testId).boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) return false;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height;
}

/** A screenshot of what the person sees now, without scrolling (the viewport only). */
export async function viewShot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/**
 * Confirms the result on screen as a clerk does: a `review` needs what was checked ticked
 * first (the comparison of person and photo), an `accept` is confirmed at once.
 */
export async function confirmOnDesk(page: Page): Promise<void> {
  if ((await page.getByTestId('decision').getAttribute('data-decision')) === 'review') await page.getByTestId('check-FACE_BY_EYE').check();
  await page.getByTestId('confirm').click();
}

let axeSource: string | undefined;

/**
 * axe-core's serious and critical violations on the page as it is now ("rule: element …").
 * The engine is evaluated through the debugging protocol, so the page's CSP (no inline
 * script) stays as shipped; nothing is added to the package.
 */
export async function axeProblems(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(`${axeSource}\n;void 0`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: Array<{ id: string; impact?: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${JSON.stringify(n.target)}`));
  });
}
