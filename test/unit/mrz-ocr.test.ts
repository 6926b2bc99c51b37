// MRZ from an image to the BAC key: the demo passport's TD3 and the demo CCCD's TD1 (its back),
// rendered by ImageMagick in Debian's OCR-B font, straight and turned a little, read by
// tesseract.js with the traineddata of the @tesseract.js-data/eng package; the key must equal
// what DG1 on the chip says. A text with one wrong character is never a key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bacKeyFromDg1, parseDg1 } from '../../drivers/emrtd/dg1.js';
import { openMrzOcr, traineddataDir } from '../../main/kiosk/mrz-ocr.js';
import { checkDigit, mrzKeyFromText } from '../../main/kiosk/mrz-text.js';
import { packageRoot } from '../../main/paths.js';
import { renderMrz } from '../helpers/mrz-image.js';

const ocr = openMrzOcr();
afterAll(() => ocr.close());

function dg1Of(card: 'passport' | 'cccd') {
  return parseDg1(new Uint8Array(readFileSync(join(packageRoot(), 'drivers/emulator/demo', card, 'DG1.bin'))));
}

describe('MRZ text', () => {
  it('check digits as Doc 9303 computes them (its worked example)', () => {
    expect(checkDigit('L898902C3')).toBe('6');
    expect(checkDigit('740812')).toBe('2');
    expect(checkDigit('120415')).toBe('9');
  });

  it('accepts only a whole MRZ whose every check digit holds', () => {
    const mrz = dg1Of('passport').mrz;
    expect(mrzKeyFromText(mrz)).toMatchObject({ format: 'TD3', ...bacKeyFromDg1(dg1Of('passport')) });
    // One misread digit in the birth date: no key at all.
    const [l1, l2] = mrz.split('\n') as [string, string];
    expect(mrzKeyFromText(`${l1}\n${l2.slice(0, 14)}6${l2.slice(15)}`)).toBeUndefined();
    // One misread filler in the optional data breaks the composite digit.
    expect(mrzKeyFromText(`${l1}\n${l2.slice(0, 30)}K${l2.slice(31)}`)).toBeUndefined();
    expect(mrzKeyFromText('P<VNM garbage')).toBeUndefined();
    expect(mrzKeyFromText(dg1Of('cccd').mrz)).toMatchObject({ format: 'TD1', ...bacKeyFromDg1(dg1Of('cccd')) });
  });

  it('a TD1 number longer than 9 characters continues in the optional data (Doc 9303 Part 5)', () => {
    const number = 'D23145890734';
    const l1 = `I<UTO${number.slice(0, 9)}<${number.slice(9)}${checkDigit(number)}<`.padEnd(30, '<');
    const l2core = `740812${checkDigit('740812')}F120415${checkDigit('120415')}UTO`.padEnd(29, '<');
    const l2 = l2core + checkDigit(l1.slice(5, 30) + l2core.slice(0, 7) + l2core.slice(8, 15) + l2core.slice(18, 29));
    expect(mrzKeyFromText(`${l1}\n${l2}\nERIKSSON<<ANNA<MARIA<<<<<<<<<<`)).toEqual({ format: 'TD1', documentNumber: number, dateOfBirth: '740812', dateOfExpiry: '120415' });
    // OCR reading 0 as O inside the long number: repaired by its check digit.
    expect(mrzKeyFromText(`${l1.replace('890', '89O')}\n${l2}`)?.documentNumber).toBe(number);
  });
});

describe('MRZ OCR (tesseract.js, OCR-B images)', () => {
  it('reads the traineddata from the npm package, not the network', () => {
    expect(traineddataDir()).toContain(join('node_modules', '@tesseract.js-data', 'eng'));
  });

  for (const card of ['passport', 'cccd'] as const) {
    for (const degrees of [0, 2.5, -3]) {
      it(`${card} MRZ turned ${degrees}°: the key is the chip's`, async () => {
        const dg1 = dg1Of(card);
        const png = renderMrz(dg1.mrz, { degrees });
        const key = await ocr.read(new Uint8Array(readFileSync(png)));
        expect(key).toEqual({ format: dg1.format, ...bacKeyFromDg1(dg1) });
      });
    }
  }
});
