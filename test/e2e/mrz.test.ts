// The passport's code lines read by the camera: Chromium's fake camera plays an MRZ rendered
// by ImageMagick in Debian's OCR-B font (straight, then turned 3°), the page sends its frames,
// main reads them with tesseract.js and opens the chip with the key: the demo passport's data
// appears without anything typed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { bacKeyFromDg1, parseDg1 } from '../../drivers/emrtd/dg1.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { loadDemo, tempDir } from '../helpers/cards.js';
import { renderMrz } from '../helpers/mrz-image.js';
import { writeY4m } from '../helpers/y4m.js';
import { type Rig, axeProblems, rig, viewShot } from './harness.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** The MRZ on a 640x480 frame, as the page scales the camera's picture before sending it. */
function cameraFile(mrz: string, degrees: number): string {
  const png = PNG.sync.read(readFileSync(renderMrz(mrz, { degrees, pointsize: 22, width: 640, height: 480 })));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) rgb.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
  return writeY4m(join(tempDir('idk-mrz-cam-'), `mrz-${degrees}.y4m`), { width: png.width, height: png.height, data: rgb });
}

describe('MRZ from the camera opens a passport chip', () => {
  for (const degrees of [0, 3]) {
    it(`code lines turned ${degrees}°: read, checked, and the chip opens with them`, async () => {
      const card: CardImage = await loadDemo('passport');
      const dg1 = parseDg1(card.files.get('DG1')!);
      r = await rig({ card, camera: cameraFile(dg1.mrz, degrees), settings: { profile: 'airport' } });
      const { page, kiosk } = r;
      await page.getByTestId('demo-place').click();
      await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase')).toBe('need-key');
      await page.getByTestId('key-toggle').click();
      await page.getByTestId('scan-mrz').click();
      await expect.poll(() => page.getByTestId('camera').getAttribute('data-purpose')).toBe('mrz');
      if (degrees === 0) {
        await expect.poll(() => page.getByTestId('camera-video').evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 20_000 }).toBe(640);
        expect(await axeProblems(page)).toEqual([]);
        await viewShot(page, 'mrz-1-camera');
      }
      await page.getByTestId('result').waitFor({ timeout: 90_000 });
      const key = bacKeyFromDg1(dg1);
      expect(await page.getByTestId('documentNumber').textContent()).toBe(key.documentNumber);
      // Opened with BAC and the key from the picture: nothing was typed.
      expect(kiosk.state.result!.access).toBe('BAC');
      expect(await page.locator('#mrz-doc').count()).toBe(0);
      await viewShot(page, `mrz-2-result-${degrees}`);
    });
  }
});
