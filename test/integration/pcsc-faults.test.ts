// What a clerk meets on real readers, through the real stack (pcscd + vpcd): the card
// pulled mid-read, a card that comes back (resume), chips that answer garbage, too slowly
// or with wrong MACs, and pcscd stopping mid-read. Each time a typed error, never a hang,
// and the reader usable again.
//
// Pulling the card at every APDU index is swept in-process (test/unit/read-document.test.ts,
// test/unit/resume.test.ts); here ~15 indices spread over the whole read go through pcscd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { readDocumentResumable } from '../../drivers/emrtd/resume.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { listReaders, waitForCard } from '../../drivers/pcsc/readers.js';
import { PcscTransport } from '../../drivers/pcsc/transport.js';
import { readersCommand } from '../../main/commands/readers.js';
import { demoCard } from '../../main/paths.js';
import { loadDemo } from '../helpers/cards.js';
import { type Fixture, type HostedCard, eject, insert, startFixture, stopFixture, waitPresence } from './pcsc-fixture.js';
import { failure } from '../helpers/errors.js';

const CAN = { kind: 'can', can: '012345' } as const;
let f: Fixture | undefined;
const fx = (): Fixture => {
  if (!f) throw new Error('pcscd did not start (see beforeAll)');
  return f;
};
/** APDUs of a full read of the demo CCCD, and the index where DG2 starts streaming. */
let full = 0;
let dg2Start = 0;
let fullBytesIn = 0;

beforeAll(async () => {
  const card = await loadDemo('cccd');
  const chip = new SoftwareChip(card);
  const raw = await readDocument(chip, {
    access: CAN,
    onProgress: (p) => {
      if (p.file === 'DG2' && dg2Start === 0) dg2Start = chip.apdus;
    },
  });
  full = raw.stats.apdus;
  fullBytesIn = raw.stats.bytesIn;
  f = await startFixture();
}, 30_000);

afterAll(async () => {
  await stopFixture(f);
}, 30_000);

async function readVia(reader: string, opts: { timeoutMs?: number } = {}) {
  const t = await PcscTransport.connect(reader, opts);
  try {
    return await readDocument(t, { access: CAN });
  } finally {
    await t.close();
  }
}

async function expectFullRead(): Promise<void> {
  const card = await loadDemo('cccd');
  const raw = await readVia(fx().slot0);
  expect(hex(raw.files.get('DG2')!)).toBe(hex(card.files.get('DG2')!));
}

describe('card pulled at sampled APDU indices of a full read, through pcscd', () => {
  it('has a full read to sample', () => {
    expect(full).toBeGreaterThan(20);
    expect(dg2Start).toBeGreaterThan(5);
  });
  const SAMPLES = 15;
  for (let s = 0; s < SAMPLES; s++) {
    it(`sample ${s + 1}/${SAMPLES}: CARD_REMOVED, reader usable again, next read succeeds`, async () => {
      const k = Math.round((s * (full - 1)) / (SAMPLES - 1));
      const host = await insert(fx(), demoCard('cccd'));
      try {
        await host.removeAfter(k);
        const e = await failure(readVia(fx().slot0));
        expect(e.code, `pulled at APDU ${k} of ${full}: ${e.message}`).toBe('CARD_REMOVED');
        expect(e.messages.vi).toMatch(/đặt lại thẻ/);
        await waitPresence(fx().slot0, false);
        await host.insert();
        await waitPresence(fx().slot0, true);
        await expectFullRead();
      } finally {
        await eject(fx(), host);
      }
    });
  }
});

describe('resume through pcscd', () => {
  it('continues DG2 after a lift-and-replace, keeping what was read, and the data is the card’s', async () => {
    const card = await loadDemo('cccd');
    const host = await insert(fx(), demoCard('cccd'));
    let t: PcscTransport | undefined;
    try {
      await host.removeAfter(dg2Start + 3);
      t = await PcscTransport.connect(fx().slot0);
      const lifted: unknown[] = [];
      const raw = await readDocumentResumable(t, {
        access: CAN,
        resumeWithinMs: 10_000,
        onLifted: (point) => {
          lifted.push(point);
          // The clerk puts the card back a moment later.
          setTimeout(() => void host.insert(), 300);
        },
        reconnect: async (withinMs) => {
          await t?.close();
          await waitForCard(fx().slot0, withinMs);
          t = await PcscTransport.connect(fx().slot0);
          return t;
        },
      });
      expect(raw.resumes).toBe(1);
      expect(lifted[0]).toMatchObject({ file: 'DG2' });
      expect((lifted[0] as { bytes: number }).bytes).toBeGreaterThan(0);
      for (const [name, bytes] of card.files) if (raw.files.has(name)) expect(hex(raw.files.get(name)!), name).toBe(hex(bytes));
      // The resumed session did not read DG2 from its start again.
      expect(raw.stats.bytesIn).toBeLessThan(fullBytesIn);
      expect(raw.chipAuthentication?.outcome).toBe('valid');
    } finally {
      await t?.close();
      await eject(fx(), host);
    }
  });

  it('gives CARD_REMOVED saying how far it got when the card does not come back in time', async () => {
    const host = await insert(fx(), demoCard('cccd'));
    let t: PcscTransport | undefined;
    try {
      await host.removeAfter(dg2Start + 3);
      t = await PcscTransport.connect(fx().slot0);
      const e = await failure(
        readDocumentResumable(t, {
          access: CAN,
          resumeWithinMs: 800,
          reconnect: async (withinMs) => {
            await t?.close();
            await waitForCard(fx().slot0, withinMs);
            return PcscTransport.connect(fx().slot0);
          },
        }),
      );
      expect(e.code).toBe('CARD_REMOVED');
      expect(e.messages.en).toMatch(/DG2 \d+ B/);
      expect(e.messages.en).toContain('DG1');
      expect(e.detail?.progress).toMatchObject({ file: 'DG2' });
    } finally {
      await t?.close();
      await host.stop();
      fx().cards.delete(host);
    }
  });
});

describe('chips that misbehave give typed errors, never a hang', () => {
  async function faulty(fault: Parameters<HostedCard['fault']>[0], timeoutMs = 1500): Promise<IdkError> {
    const host = await insert(fx(), demoCard('cccd'));
    try {
      await host.fault(fault);
      return await failure(readVia(fx().slot0, { timeoutMs }));
    } finally {
      await eject(fx(), host);
    }
  }

  it('a chip that stops answering: CARD_MUTE after the timeout, then the reader works again', async () => {
    const e = await faulty({ kind: 'silent', from: 8 });
    expect(e.code).toBe('CARD_MUTE');
    expect(e.messages.vi).toContain('không trả lời');
    const host = await insert(fx(), demoCard('cccd'));
    try {
      await expectFullRead();
    } finally {
      await eject(fx(), host);
    }
  });

  it('a chip answering too slowly: CARD_MUTE', async () => {
    const e = await faulty({ kind: 'slow', ms: 4000, from: 3 }, 1000);
    expect(e.code).toBe('CARD_MUTE');
  });

  it('a chip answering garbage: a typed error', async () => {
    const codes: string[] = [];
    for (const from of [0, 2, 12]) {
      const e = await faulty({ kind: 'garbage', from });
      codes.push(e.code);
      expect(e.messages.vi.length).toBeGreaterThan(10);
    }
    // Garbage status words read as refusals, garbage bytes as malformed data.
    expect(codes).toEqual(['CARD_STATUS', 'CARD_STATUS', 'MALFORMED_DATA']);
  });

  it('a chip whose MACs are wrong: a typed secure-messaging error', async () => {
    const e = await faulty({ kind: 'badmac', from: dg2Start });
    expect(e.code).toBe('SM_MAC_INVALID');
  });
});

describe('pcscd stopped mid-read', () => {
  it('gives PCSCD_NOT_RUNNING naming what to start, and `idkiosk readers` says the same', async (ctx) => {
    ctx.skip(fx().pcscd.reused, 'IDKIOSK_REUSE_PCSCD=1: the pcscd in use is not ours to stop');
    const host = await insert(fx(), demoCard('cccd'));
    const t = await PcscTransport.connect(fx().slot0);
    let stopping: Promise<void> | undefined;
    const e = await failure(
      readDocument(t, {
        access: CAN,
        onProgress: (p) => {
          if (p.file === 'DG2') stopping ??= fx().pcscd.stop();
        },
      }),
    );
    await stopping;
    await t.close();
    await host.stop();
    fx().cards.delete(host);
    expect(e.code, e.message).toBe('PCSCD_NOT_RUNNING');
    const down = await failure(listReaders());
    expect(down.code).toBe('PCSCD_NOT_RUNNING');
    expect(down.messages.en).toContain('systemctl start pcscd.socket');
    expect(down.messages.vi).toContain('pcscd');
    const cli = await failure(readersCommand.run([], { lang: 'en' }));
    expect(cli.code).toBe('PCSCD_NOT_RUNNING');
  });
});
