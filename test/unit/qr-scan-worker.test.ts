// Camera QR decoding on its worker thread (main/kiosk/qr-scan.ts): the compiled worker (npm run build)
// decodes the renderer's JPEGs exactly as the in-thread code does, survives a torn frame, and
// drives the kiosk's scan loop from CameraFeed to one reported code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameFromRgba, placeOnCanvas, solidFrame } from '../../drivers/camera/frame.js';
import { encodeJpeg } from '../../drivers/camera/jpeg.js';
import { scanQrFromCamera } from '../../main/kiosk/camera.js';
import { QrFrameWork, type QrScanWorker, openQrDecoder } from '../../main/kiosk/qr-scan.js';
import { CameraFeed } from '../../main/verify/camera-feed.js';
import { loadDemo } from '../helpers/cards.js';
import { qrFromCard } from '../helpers/qr.js';
import { qrFrame } from './qr-fixtures.js';

let text: string;
let codeJpeg: Uint8Array;
const greyJpeg = encodeJpeg(solidFrame(640, 480, [128, 128, 128]), 85);
const logged: string[] = [];
let worker: QrScanWorker;

beforeAll(async () => {
  text = qrFromCard(await loadDemo('cccd'));
  const qr = await qrFrame(text, { size: 5, margin: 4 });
  codeJpeg = encodeJpeg(placeOnCanvas(frameFromRgba(qr.width, qr.height, qr.data), 640, 480, Math.round(320 - qr.width / 2), Math.round(240 - qr.height / 2), [235, 235, 235]), 85);
  worker = openQrDecoder((l) => logged.push(l)) as QrScanWorker;
});

afterAll(async () => {
  await worker?.close();
});

describe('camera QR worker', () => {
  it('runs on its own thread (built worker found) and decodes a frame as the in-thread code does', async () => {
    expect(logged).toEqual([]);
    expect(worker.constructor.name).toBe('QrScanWorker');
    const off = await worker.decode(codeJpeg, 1);
    expect(off.code).toEqual({ format: 'QR_CODE', text });
    expect(off).toEqual(new QrFrameWork().run(codeJpeg, 1));
    // Right after the code, in the same scan, the change reads as motion; a new scan starts afresh.
    expect(await worker.decode(greyJpeg, 1)).toEqual({ code: null, hints: ['hold-still'] });
    const grey = await worker.decode(greyJpeg, 5);
    expect(grey).toEqual({ code: null, hints: ['no-code'] });
    expect(grey).toEqual(new QrFrameWork().run(greyJpeg, 5));
  });

  it('a torn frame is an error for that frame only; the next one decodes', async () => {
    await expect(worker.decode(codeJpeg.subarray(0, 200), 2)).rejects.toMatchObject({ code: expect.any(String) });
    expect((await worker.decode(codeJpeg, 2)).code?.text).toBe(text);
  });

  it('drives the scan loop: frames pushed to the feed end in one reported code; aborting stops it', async () => {
    const feed = new CameraFeed();
    const release = feed.want('qr');
    const stop = new AbortController();
    const texts: string[] = [];
    const done = scanQrFromCamera(feed, stop.signal, { text: (t) => texts.push(t), hint: () => undefined }, worker);
    // The page sends frames one after another (next after the reply), whatever main does with them.
    for (let i = 0; i < 200 && texts.length === 0; i++) {
      feed.push('qr', i % 2 ? codeJpeg : greyJpeg);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts).toEqual([text]);
    // The same code in view again: not reported twice (the loop's repeat rule).
    for (let i = 0; i < 5; i++) {
      feed.push('qr', codeJpeg);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts).toEqual([text]);
    stop.abort();
    await done;
    release();
  });

  it('after close, a decode is refused and a running scan ends', async () => {
    const w = openQrDecoder(() => undefined);
    const feed = new CameraFeed();
    feed.want('qr');
    const stop = new AbortController();
    const done = scanQrFromCamera(feed, stop.signal, { text: () => undefined, hint: () => undefined }, w);
    feed.push('qr', greyJpeg);
    await w.close();
    feed.push('qr', greyJpeg);
    await expect(w.decode(greyJpeg, 3)).rejects.toMatchObject({ code: 'QR_WORKER_EXITED' });
    stop.abort();
    await done;
  });
});
