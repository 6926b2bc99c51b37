// Resuming a read after a lift, in-process: the card pulled at every APDU index and put
// back, another card put back, and a card that never returns.
import { describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { readDocumentResumable } from '../../drivers/emrtd/resume.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { demoPerson, freshCard, loadDemo } from '../helpers/cards.js';
import { failure } from '../helpers/errors.js';

const CAN = { kind: 'can', can: '012345' } as const;

/** A progress listener that lifts the card `afterApdus` exchanges into DG2, once. */
function liftInDg2(chip: SoftwareChip, afterApdus: number): (p: { file: string }) => void {
  let lifted = false;
  return (p) => {
    if (p.file === 'DG2' && !lifted) {
      lifted = true;
      chip.removeAfterApdus(afterApdus);
    }
  };
}

describe('resume after the card is lifted and placed again', () => {
  it('at every APDU index: the same files as an uninterrupted read, with one resume', async () => {
    const card = await loadDemo('cccd');
    const whole = await readDocument(new SoftwareChip(card), { access: CAN });
    const n = whole.stats.apdus;
    for (let k = 0; k < n; k++) {
      const chip = new SoftwareChip(card);
      chip.removeAfterApdus(k);
      const raw = await readDocumentResumable(chip, {
        access: CAN,
        reconnect: async () => {
          chip.place();
          return chip;
        },
      });
      expect(raw.resumes, `pulled at ${k}`).toBe(1);
      expect([...raw.files.keys()].sort()).toEqual([...whole.files.keys()].sort());
      for (const [name, bytes] of whole.files) expect(hex(raw.files.get(name)!), `${name}, pulled at ${k}`).toBe(hex(bytes));
      expect(raw.chipAuthentication?.outcome, `pulled at ${k}`).toBe(whole.chipAuthentication?.outcome);
      expect(raw.activeAuthentication?.outcome, `pulled at ${k}`).toBe(whole.activeAuthentication?.outcome);
    }
  });

  it('continues a partly read DG2 at its offset instead of starting it again', async () => {
    const card = await loadDemo('cccd');
    const whole = await readDocument(new SoftwareChip(card), { access: CAN });
    const chip = new SoftwareChip(card);
    let dg2At = 0;
    const seen: number[] = [];
    // Lift after two DG2 chunks arrived.
    const raw = await readDocumentResumable(chip, {
      access: CAN,
      onProgress: (p) => {
        if (p.file !== 'DG2') return;
        seen.push(p.read);
        if (++dg2At === 2) chip.removeAfterApdus(0);
      },
      onLifted: (point) => expect(point).toMatchObject({ file: 'DG2', bytes: seen[1] }),
      reconnect: async () => {
        chip.place();
        return chip;
      },
    });
    expect(raw.resumes).toBe(1);
    expect(hex(raw.files.get('DG2')!)).toBe(hex(card.files.get('DG2')!));
    // After the resume, DG2 progress continues from where it stopped, not from the first chunk.
    const after = seen.slice(2);
    expect(after[0]).toBeGreaterThan(seen[1]!);
    expect(raw.stats.bytesIn).toBeLessThan(whole.stats.bytesIn);
  });

  it('refuses to join data from another card: CARD_CHANGED', async () => {
    const card = await loadDemo('cccd');
    // Same person, same CAN, but issued again: same DG1, another SOD.
    const other = await freshCard(await demoPerson('cccd'));
    other.secrets.can = card.secrets.can;
    const chip = new SoftwareChip(card);
    const e = await failure(
      readDocumentResumable(chip, {
        access: CAN,
        onProgress: liftInDg2(chip, 0),
        reconnect: async () => new SoftwareChip(other),
      }),
    );
    expect(e.code).toBe('CARD_CHANGED');
    expect(e.messages.vi).toContain('không phải thẻ đang đọc dở');
  });

  it('says how far the read got when the card does not come back', async () => {
    const chip = new SoftwareChip(await loadDemo('cccd'));
    const e = await failure(
      readDocumentResumable(chip, {
        access: CAN,
        onProgress: liftInDg2(chip, 1),
        reconnect: () =>
          Promise.reject(new IdkError('NO_CARD', { vi: 'Chưa có thẻ.', en: 'No card.' })),
      }),
    );
    expect(e.code).toBe('CARD_REMOVED');
    expect(e.detail?.progress).toMatchObject({ file: 'DG2', files: expect.arrayContaining(['EF.COM', 'DG1', 'DG13', 'EF.SOD']) });
    expect(e.messages.en).toMatch(/stopped in DG2 \d+ B/);
    expect(e.messages.vi).toMatch(/dừng ở DG2 \d+ B/);
  });

  it('gives up after maxResumes lifts', async () => {
    const chip = new SoftwareChip(await loadDemo('cccd'));
    chip.removeAfterApdus(3);
    const e = await failure(
      readDocumentResumable(chip, {
        access: CAN,
        maxResumes: 2,
        reconnect: async () => {
          chip.place();
          chip.removeAfterApdus(3);
          return chip;
        },
      }),
    );
    expect(e.code).toBe('CARD_REMOVED');
  });
});
