// JPEG 2000 portraits reach the screen: the pipeline decodes them (OpenJPEG) and hands the
// renderer a lossless PNG, whose pixels must be exactly the decoder's.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../drivers/camera/jpeg.js';
import { decodeJpeg2000, encodeJpeg2000, wrapJp2 } from '../../drivers/camera/jpeg2000.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { syntheticFace } from '../../drivers/emulator/face-art.js';
import { buildDg2 } from '../../drivers/emrtd/dg2.js';
import type { KioskState, PersonView } from '../../main/api/contract.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { EmulatedReader, demoCanSource } from '../../main/verify/emulated-reader.js';
import { photoView } from '../../main/verify/pipeline.js';
import type { ReadReport } from '../../main/verify/report.js';
import { loadDemo } from '../helpers/cards.js';

const face = syntheticFace(7);
const rgb = decodeJpeg(face.jpeg);
const codestream = await encodeJpeg2000(rgb, 15);
const jp2 = wrapJp2(codestream, rgb.width, rgb.height, 3);

function pngPixels(photo: PersonView['photo']): { width: number; height: number; rgb: Uint8Array } {
  if (!photo || photo.url === null) throw new Error(`no picture: ${JSON.stringify(photo)}`);
  const prefix = 'data:image/png;base64,';
  expect(photo.url.startsWith(prefix)).toBe(true);
  const png = PNG.sync.read(Buffer.from(photo.url.slice(prefix.length), 'base64'));
  const out = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) out.set(png.data.subarray(j, j + 3), i);
  return { width: png.width, height: png.height, rgb: out };
}

const reportWith = (format: string): ReadReport => ({ face: { format, width: rgb.width, height: rgb.height, sha256: '' } }) as unknown as ReadReport;

describe('portrait for the screen', () => {
  it('a card with a JP2 portrait shows as a PNG with the decoder’s exact pixels and size', async () => {
    const demo = await loadDemo('cccd');
    const files = new Map(demo.files);
    files.set('DG2', buildDg2([{ format: 'jpeg2000', width: rgb.width, height: rgb.height, image: jp2 }]));
    const card: CardImage = { ...demo, files };
    const kiosk = new Kiosk({ reader: new EmulatedReader(card, { latency: null }), mode: 'demo', keySources: [demoCanSource(card)] });
    try {
      const done = new Promise<KioskState>((resolve) => kiosk.subscribe((e) => e.event === 'state' && (e.data.phase === 'result' || e.data.phase === 'error') && resolve(e.data)));
      await kiosk.handlers.demoCard({ present: true });
      const s = await done;
      expect(s.phase).toBe('result');
      const photo = s.result!.person.photo;
      const want = await decodeJpeg2000(jp2);
      const got = pngPixels(photo);
      expect(photo).toMatchObject({ width: want.width, height: want.height });
      expect([got.width, got.height]).toEqual([240, 320]);
      expect(Buffer.from(got.rgb).equals(Buffer.from(want.data))).toBe(true);
    } finally {
      await kiosk.close();
    }
  });

  it('a bare J2K codestream decodes the same way; a damaged one is shown as absent with its format', async () => {
    const want = await decodeJpeg2000(codestream);
    const got = pngPixels(await photoView(reportWith('jpeg2000'), codestream));
    expect(Buffer.from(got.rgb).equals(Buffer.from(want.data))).toBe(true);

    const damaged = jp2.slice(0, 200);
    expect(await photoView(reportWith('jpeg2000'), damaged)).toEqual({ url: null, format: 'jpeg2000' });
    expect(await photoView(reportWith('jpeg2000'), Uint8Array.of(1, 2, 3))).toEqual({ url: null, format: 'jpeg2000' });
  });

  it('JPEG stays the chip’s own bytes; no portrait is null', async () => {
    const photo = await photoView(reportWith('jpeg'), face.jpeg);
    expect(photo).toEqual({ url: `data:image/jpeg;base64,${Buffer.from(face.jpeg).toString('base64')}`, width: rgb.width, height: rgb.height });
    expect(await photoView({ face: null } as unknown as ReadReport, undefined)).toBeNull();
  });
});
