// One decision everywhere: for every row of the decision table (docs/authenticity.md), a
// real card — genuine, without anti-cloning, forged, cloned, with or without a trust
// folder, opened with a typed CAN or a QR that agrees or differs — and, at the kiosk, a
// face step that matches or not. Each entry judges it: the kiosk's screen, the signed
// event its confirm stores in a real store, and the event `read --record` stores from the
// same card folder (no biometric on the CLI, so its row is the `not-available` one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEfCom } from '../../drivers/emrtd/ef-com.js';
import { buildSod } from '../../drivers/emrtd/sod.js';
import { buildCard } from '../../drivers/emulator/card-builder.js';
import { saveCardFolder } from '../../drivers/emulator/card-folder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { type DocumentSigner, createCsca, issueCrl, issueDocumentSigner, toPem } from '../../drivers/emulator/test-pki.js';
import type { KioskState } from '../../main/api/contract.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import { recordRead } from '../../main/read/record.js';
import { runRead } from '../../main/read/run-read.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import type { BiometricStep } from '../../main/verify/pipeline.js';
import { loadTrustFolder } from '../../main/verify/trust-folder.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { demoPerson, tempDir } from '../helpers/cards.js';
import { qrFromCard } from '../helpers/qr.js';

const CAN = '012345';
let ds: DocumentSigner;
let trustDir: string;
const cards: Record<'genuine' | 'noAntiCloning' | 'forged' | 'clone', CardImage> = {} as never;

async function resign(card: CardImage, files: Map<string, Uint8Array>): Promise<CardImage> {
  const groups = new Map<number, Uint8Array>();
  for (const [k, v] of files) if (/^DG\d+$/.test(k)) groups.set(Number(k.slice(2)), v);
  return { ...card, files: new Map(files).set('EF.SOD', await buildSod({ hashAlgorithm: 'sha256', dataGroups: groups, signer: ds })) };
}

beforeAll(async () => {
  const person = { ...(await demoPerson('cccd')), can: CAN };
  const csca = await createCsca({ country: 'VN' });
  ds = await issueDocumentSigner(csca);
  trustDir = tempDir('idk-trust-');
  writeFileSync(join(trustDir, 'csca-vn.pem'), toPem('CERTIFICATE', csca.certificate));
  writeFileSync(join(trustDir, 'csca-vn.crl'), await issueCrl(csca, []));
  cards.genuine = await buildCard(person, ds);
  // The same data on a chip that offers neither chip nor active authentication (no DG14, DG15), signed by the issuer.
  const plain = new Map([...cards.genuine.files].filter(([k]) => k !== 'DG14' && k !== 'DG15'));
  plain.set('EF.COM', buildEfCom([1, 2, 11, 12, 13]));
  cards.noAntiCloning = await resign({ ...cards.genuine, secrets: { can: CAN } }, plain);
  // One letter of DG13 changed after signing.
  const dg13 = new Uint8Array(cards.genuine.files.get('DG13')!);
  dg13[Buffer.from(dg13).indexOf('Kinh') + 3] = 'm'.charCodeAt(0);
  cards.forged = { ...cards.genuine, files: new Map(cards.genuine.files).set('DG13', dg13) };
  // The issuer's files on a chip with other keys.
  const other = await buildCard(person, ds);
  cards.clone = { ...cards.genuine, secrets: { ...other.secrets, can: CAN } };
});

const face = (score: number): BiometricStep => ({ method: 'face', verify: async () => ({ method: 'face', score, threshold: 0.9 }) });

interface Case {
  row: string;
  card: keyof typeof cards;
  trust: boolean;
  score: number;
  qr?: 'agrees' | 'differs';
  level: 'green' | 'amber' | 'red';
  kiosk: 'accepted' | 'review' | 'rejected';
  cli: 'accepted' | 'review' | 'rejected';
}

// Each row of the decision table is reached at least once; the CLI, without a biometric, falls on `review` or `reject`.
const CASES: Case[] = [
  { row: 'red: forged data', card: 'forged', trust: true, score: 0.99, level: 'red', kiosk: 'rejected', cli: 'rejected' },
  { row: 'red: cloned chip', card: 'clone', trust: true, score: 0.99, level: 'red', kiosk: 'rejected', cli: 'rejected' },
  { row: 'not-matched face', card: 'genuine', trust: true, score: 0.2, level: 'green', kiosk: 'rejected', cli: 'review' },
  { row: 'green, matched, no QR', card: 'genuine', trust: true, score: 0.99, level: 'green', kiosk: 'accepted', cli: 'review' },
  { row: 'green, matched, QR agrees', card: 'genuine', trust: true, score: 0.99, qr: 'agrees', level: 'green', kiosk: 'accepted', cli: 'review' },
  { row: 'green, matched, QR differs', card: 'genuine', trust: true, score: 0.99, qr: 'differs', level: 'green', kiosk: 'review', cli: 'review' },
  { row: 'amber: no anti-cloning', card: 'noAntiCloning', trust: true, score: 0.99, level: 'amber', kiosk: 'review', cli: 'review' },
  { row: 'amber: no trust folder', card: 'genuine', trust: false, score: 0.99, level: 'amber', kiosk: 'review', cli: 'review' },
];

function qrText(c: Case): string | undefined {
  if (!c.qr) return undefined;
  return qrFromCard(cards[c.card], c.qr === 'differs' ? { fullName: 'Lê Thị Mẫn' } : {});
}

async function kioskJudges(c: Case): Promise<{ screen: KioskState; stored: string }> {
  const store = openLocalStore({ dataDir: tempDir('idk-one-k-'), diskReserveBytes: 0 });
  const reader = new EmulatedReader(cards[c.card], { latency: null });
  const kiosk = new Kiosk({ reader, mode: 'live', trust: c.trust ? await loadTrustFolder(trustDir) : undefined, biometric: face(c.score), recorder: storeRecorder(store) });
  try {
    const text = qrText(c);
    if (text) kiosk.handleQrText(text, 'typed');
    reader.setPresent(true);
    if (!text) kiosk.pipeline.provideKey({ kind: 'can', can: CAN });
    await expect.poll(() => kiosk.state.phase, { timeout: 20_000 }).toBe('result');
    const screen = kiosk.state;
    const rec = await kiosk.handlers.confirm({ id: screen.result!.id, checked: ['FACE_BY_EYE'] });
    expect(rec.record.status).toBe('stored');
    const events = [...exportEvents(store)];
    expect(events).toHaveLength(1);
    expect(events[0]!.body.reader).toBe(reader.name);
    return { screen, stored: events[0]!.body.result };
  } finally {
    await kiosk.close();
    store.close();
  }
}

async function cliJudges(c: Case): Promise<string> {
  const dir = tempDir('idk-one-card-');
  mkdirSync(dir, { recursive: true });
  await saveCardFolder(dir, cards[c.card], c.row);
  const text = qrText(c);
  const read = await runRead({ card: dir, ...(text ? { qr: text } : { can: CAN }), ...(c.trust ? { trust: trustDir } : {}) });
  const dataDir = tempDir('idk-one-c-');
  recordRead(read, { dataDir, store: { diskReserveBytes: 0 } });
  const store = openLocalStore({ dataDir, diskReserveBytes: 0 });
  try {
    const events = [...exportEvents(store)];
    expect(events).toHaveLength(1);
    expect(events[0]!.body.reader).toBe(read.reader);
    return events[0]!.body.result;
  } finally {
    store.close();
  }
}

describe('one decision for the screen, the kiosk event and read --record', () => {
  for (const c of CASES) {
    it(c.row, async () => {
      const k = await kioskJudges(c);
      const v = k.screen.result!;
      expect(v.authenticity.level).toBe(c.level);
      // The screen's decision is what the event stores.
      expect({ accept: 'accepted', review: 'review', reject: 'rejected' }[v.decision]).toBe(k.stored);
      expect(k.stored).toBe(c.kiosk);
      if (c.qr) expect(v.qr?.mismatches.length ? 'differs' : 'agrees').toBe(c.qr);
      expect(await cliJudges(c)).toBe(c.cli);
    });
  }
});
