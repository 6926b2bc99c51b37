// Full reads through the whole real stack: our PC/SC transport -> the smartcard binding ->
// libpcsclite -> a private pcscd -> vsmartcard's vpcd driver -> the software chip over TCP.
// The result must be what the same read gives in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { type ReadDocumentOptions, readDocument } from '../../drivers/emrtd/read-document.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { type ReaderEvent, chooseReader, listReaders, watchReaders } from '../../drivers/pcsc/readers.js';
import { PcscTransport } from '../../drivers/pcsc/transport.js';
import { runRead } from '../../main/read/run-read.js';
import { decodeDocument } from '../../main/verify/report.js';
import { demoCard } from '../../main/paths.js';
import { loadDemo } from '../helpers/cards.js';
import { type Fixture, eject, insert, startFixture, stopFixture } from './pcsc-fixture.js';
import { failure } from '../helpers/errors.js';

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

/** The report without what differs between two honest reads (timings, wire counts). */
function comparable(r: Awaited<ReturnType<typeof decodeDocument>>['report']): unknown {
  const { stats: _s, ...rest } = r as typeof r & { stats: unknown };
  return rest;
}

const CASES: [string, 'cccd' | 'passport', ReadDocumentOptions['access']][] = [
  ['CCCD (PACE with the CAN)', 'cccd', { kind: 'can', can: '012345' }],
  ['passport (BAC with the MRZ)', 'passport', { kind: 'mrz', key: { documentNumber: 'C0000001', dateOfBirth: '851102', dateOfExpiry: '311102' } }],
];

describe('readers through pcscd', () => {
  it('lists vpcd slots with no card, then the card with its ATR once one is placed', async () => {
    const before = await listReaders();
    expect(before.map((r) => r.name)).toEqual(expect.arrayContaining([fx().slot0, fx().slot1]));
    expect(before.find((r) => r.name === fx().slot0)).toMatchObject({ present: false, mute: false });
    const v = await insert(fx(), demoCard('cccd'));
    const after = await listReaders();
    expect(after.find((r) => r.name === fx().slot0)).toMatchObject({ present: true, atr: '3B80800101' });
    expect(after.find((r) => r.name === fx().slot1)?.present).toBe(false);
    expect((await chooseReader()).name).toBe(fx().slot0);
    await eject(fx(), v);
  });

  it('reports readers, and cards placed and lifted, as events', async () => {
    const events: ReaderEvent[] = [];
    const w = watchReaders((e) => events.push(e), { pollMs: 300 });
    const seen = (type: string) => events.some((e) => e.type === type && 'reader' in e && e.reader === fx().slot0);
    const until = async (type: string) => {
      for (let i = 0; i < 200 && !seen(type); i++) await new Promise((r) => setTimeout(r, 50));
      expect(seen(type), `${type} among ${JSON.stringify(events)}`).toBe(true);
    };
    try {
      await until('reader-attached');
      const v = await insert(fx(), demoCard('cccd'));
      await until('card-inserted');
      expect(events.find((e) => e.type === 'card-inserted')).toMatchObject({ atr: '3B80800101', mute: false });
      await eject(fx(), v);
      await until('card-removed');
      expect(events.some((e) => e.type === 'error')).toBe(false);
    } finally {
      await w.stop();
    }
  });

  it('names the readers when the one asked for does not exist, and says when no card lies anywhere', async () => {
    const e = await failure(chooseReader('No Such Reader 00 00'));
    expect(e.code).toBe('NO_READER');
    expect(e.messages.en).toContain(fx().slot0);
    expect(e.messages.vi).toContain(fx().slot0);
    const none = await failure(chooseReader());
    expect(none.code).toBe('NO_CARD');
    expect(none.messages.en).toContain(fx().slot1);
    const empty = await failure(PcscTransport.connect(fx().slot0));
    expect(empty.code).toBe('NO_CARD');
  });

  it('asks which reader when cards lie on two', async () => {
    const a = await insert(fx(), demoCard('cccd'), 0);
    const b = await insert(fx(), demoCard('passport'), 1);
    const e = await failure(chooseReader());
    expect(e.code).toBe('SEVERAL_CARDS');
    expect(e.messages.en).toContain('--reader');
    await eject(fx(), a, 0);
    await eject(fx(), b, 1);
  });

  it('holds the card exclusively while connected: a second program gets READER_BUSY', async () => {
    const v = await insert(fx(), demoCard('cccd'));
    const t = await PcscTransport.connect(fx().slot0);
    expect(t.protocol).toBe('T=1');
    expect(hex(t.atr).toUpperCase()).toBe('3B80800101');
    const e = await failure(PcscTransport.connect(fx().slot0));
    expect(e.code).toBe('READER_BUSY');
    await t.close();
    const again = await PcscTransport.connect(fx().slot0);
    await again.close();
    await eject(fx(), v);
  });
});

describe('a full read through pcscd + vpcd equals the in-process read', () => {
  for (const [title, which, access] of CASES) {
    it(title, async () => {
      const card: CardImage = await loadDemo(which);
      const local = await readDocument(new SoftwareChip(card), { access });
      const v = await insert(fx(), demoCard(which));
      const t = await PcscTransport.connect(fx().slot0);
      let remote;
      try {
        remote = await readDocument(t, { access });
      } finally {
        await t.close();
      }
      expect(remote.access).toBe(local.access);
      expect([...remote.files.keys()].sort()).toEqual([...local.files.keys()].sort());
      for (const [name, bytes] of card.files) {
        if (local.files.has(name)) expect(hex(remote.files.get(name)!), name).toBe(hex(bytes));
      }
      expect(remote.stats.apdus).toBe(local.stats.apdus);
      expect(t.stats.apdus).toBe(remote.stats.apdus);
      const [a, b] = [await decodeDocument(local, 0), await decodeDocument(remote, 0)];
      expect(comparable(b.report)).toEqual(comparable(a.report));
      expect(b.report.authenticity.chip).toBe(a.report.authenticity.chip);
      await eject(fx(), v);
    });
  }

  it('idkiosk read --reader NAME, and without --reader the only reader with a card', async () => {
    const v = await insert(fx(), demoCard('cccd'));
    const viaCard = await runRead({ card: demoCard('cccd'), can: '012345' });
    const named = await runRead({ reader: fx().slot0, can: '012345' });
    const chosen = await runRead({ can: '012345' });
    for (const r of [named, chosen]) {
      expect(comparable(r.report)).toEqual(comparable(viaCard.report));
      expect(r.faceImage).toEqual(viaCard.faceImage);
    }
    // The card was released after each read: pcscd shows it free again.
    expect((await listReaders()).find((r) => r.name === fx().slot0)).toMatchObject({ present: true, exclusive: false });
    await eject(fx(), v);
    const e = await failure(runRead({ reader: fx().slot0, can: '012345' }));
    expect(e.code).toBe('NO_CARD');
    const bad = await failure(runRead({ reader: fx().slot0, card: demoCard('cccd'), can: '012345' }));
    expect(bad.code).toBe('BAD_ARGUMENTS');
  });
});
