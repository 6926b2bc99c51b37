// Real QR images from a third-party encoder (Debian's qrencode), degraded the way cameras
// degrade them, decoded with zxing; and the hints a person gets when nothing decodes.
import jpeg from 'jpeg-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { BarcodeDecoder, type RgbaFrame, decodeImageBytes, frameStats, loadImageFile, luminance, qualityHints, rotateRgba } from '../../drivers/qr/decode.js';
import { tempDir } from '../helpers/cards.js';
import { addGlare, addNoise, blur, cameraFrame, qrFrame, qrencodePng, rotateBy } from './qr-fixtures.js';

const DEMO = '000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng|10042021';
const decoder = new BarcodeDecoder();

function hintsOf(f: RgbaFrame) {
  expect(decoder.decode(f)).toBeNull();
  return qualityHints(frameStats(luminance(f), f.width, f.height));
}

describe('decoding qrencode images', () => {
  it.each([1, 2, 3, 6, 10])('module size %i px', async (size) => {
    const r = decoder.decode(await qrFrame(DEMO, { size }));
    expect(r).toEqual({ format: 'QR_CODE', text: DEMO });
  });

  it.each(['L', 'H'] as const)('error correction level %s', async (level) => {
    expect(decoder.decode(await qrFrame(DEMO, { level, size: 3 }))?.text).toBe(DEMO);
  });

  it.each([1, 2, 3])('rotated by %i quarter turns (buffer rotated here)', async (q) => {
    const f = rotateRgba(await qrFrame(DEMO, { size: 3 }), q);
    expect(decoder.decode(f)?.text).toBe(DEMO);
  });

  it.each([15, 30, 45, 200])('rotated by %i degrees', async (deg) => {
    expect(decoder.decode(rotateBy(await qrFrame(DEMO, { size: 4 }), deg))?.text).toBe(DEMO);
  });

  it.each([10, 20, 30])('Gaussian noise sigma %i', async (sigma) => {
    expect(decoder.decode(addNoise(await qrFrame(DEMO, { size: 4 }), sigma, sigma))?.text).toBe(DEMO);
  });

  it('light blur decodes; heavy blur does not, and asks to hold still', async () => {
    const base = await qrFrame(DEMO, { size: 4 });
    expect(decoder.decode(blur(base, 1))?.text).toBe(DEMO);
    expect(hintsOf(blur(base, 4))).toContain('hold-still');
  });

  it.each([
    [640, 480, 200, 0.15],
    [640, 480, 300, 0.1],
    [1280, 720, 240, 0.15],
    [1280, 720, 320, 0],
  ])('camera-like %ix%i frame, code %i px wide, keystone %f', async (width, height, codeWidth, keystone) => {
    const f = cameraFrame(await qrFrame(DEMO, { size: 4 }), { width, height, codeWidth, keystone, noise: 8, cx: 0.45, cy: 0.55 });
    expect(decoder.decode(f)?.text).toBe(DEMO);
  });

  it('decodes a camera frame after a JPEG round trip through jpeg-js', async () => {
    const f = cameraFrame(await qrFrame(DEMO, { size: 4 }), { width: 640, height: 480, codeWidth: 260, keystone: 0.1, noise: 6 });
    const file = join(tempDir('idk-qr-'), 'frame.jpg');
    writeFileSync(file, jpeg.encode({ width: f.width, height: f.height, data: Buffer.from(f.data) }, 80).data);
    expect(decoder.decode(await loadImageFile(file))?.text).toBe(DEMO);
  });

  it('reads other codes as text: a URL and plain ASCII', async () => {
    expect(decoder.decode(await qrFrame('https://example.org/a?b=c'))?.text).toBe('https://example.org/a?b=c');
  });

  it('invalid UTF-8 in the QR bytes is QR_BAD_ENCODING, not mojibake', async () => {
    const bytes = new TextEncoder().encode(DEMO);
    bytes[30] = 0xff;
    try {
      decoder.decode(await qrFrame(bytes, { size: 3 }));
      expect.unreachable();
    } catch (e) {
      expect(isIdkError(e, 'QR_BAD_ENCODING')).toBe(true);
    }
  });
});

describe('hints when nothing decodes', () => {
  it('a small code far away: move closer', async () => {
    const code = await qrFrame(DEMO, { size: 4 });
    expect(hintsOf(cameraFrame(code, { width: 640, height: 480, codeWidth: 56, noise: 8 }))).toEqual(['move-closer']);
    expect(hintsOf(cameraFrame(code, { width: 1280, height: 720, codeWidth: 64, noise: 8 }))).toEqual(['move-closer']);
  });

  it('a lamp reflected on the code: avoid glare', async () => {
    const f = addGlare(cameraFrame(await qrFrame(DEMO, { size: 4 }), { width: 640, height: 480, codeWidth: 260, noise: 8 }), 320, 240, 90);
    expect(hintsOf(f)).toContain('avoid-glare');
  });

  it('a blurred frame: hold still', async () => {
    const f = blur(cameraFrame(await qrFrame(DEMO, { size: 4 }), { width: 640, height: 480, codeWidth: 260, noise: 4 }), 4);
    expect(hintsOf(f)).toContain('hold-still');
  });

  it('a dark frame: too dark; an empty desk: no code', async () => {
    const dark = cameraFrame(await qrFrame(DEMO, { size: 4 }), { width: 640, height: 480, codeWidth: 260, gain: 0.12, noise: 2 });
    expect(qualityHints(frameStats(luminance(dark), 640, 480))[0]).toBe('too-dark');
    const empty = cameraFrame({ width: 1, height: 1, data: Uint8ClampedArray.of(120, 120, 120, 255) }, { width: 640, height: 480, codeWidth: 1, noise: 8 });
    expect(hintsOf(empty)).toEqual(['no-code']);
  });
});

describe('image files', () => {
  it('loads PNG from qrencode and rejects damaged or unknown files with BAD_IMAGE', async () => {
    const png = qrencodePng(DEMO);
    expect((await decodeImageBytes(png)).width).toBeGreaterThan(50);
    for (const bad of [png.slice(0, 40), Uint8Array.of(0xff, 0xd8, 0xff, 0x00), new TextEncoder().encode('GIF89a....')]) {
      await expect(decodeImageBytes(bad)).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    }
    await expect(loadImageFile('/nonexistent/x.png')).rejects.toMatchObject({ code: 'FILE_NOT_READABLE' });
  });

  it('rejects frames whose buffer does not match their size', () => {
    expect(() => decoder.decode({ width: 10, height: 10, data: new Uint8Array(10) })).toThrow(expect.objectContaining({ code: 'BAD_IMAGE' }));
  });
});
