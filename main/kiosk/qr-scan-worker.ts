// The worker thread of main/kiosk/qr-scan.ts: decodes camera JPEGs and looks for a QR in them,
// one at a time, so main's event loop never waits on zxing.
import { parentPort } from 'node:worker_threads';
import { isIdkError } from '../../core/errors.js';
import { QrFrameWork, type QrScanRequest, type QrScanResponse } from './qr-scan.js';

const work = new QrFrameWork();
const port = parentPort;
if (port) {
  port.on('message', (req: QrScanRequest) => {
    let res: QrScanResponse;
    try {
      res = { id: req.id, ok: true, result: work.run(req.jpeg, req.session) };
    } catch (e) {
      // A frame that does not decode (a torn JPEG) is one lost frame, not the end of the scan.
      const error = isIdkError(e) ? { code: e.code, messages: { ...e.messages } } : { code: 'QR_FRAME_FAILED', messages: { vi: 'Không xử lý được hình từ camera.', en: 'A camera picture could not be processed.' } };
      res = { id: req.id, ok: false, error };
    }
    port.postMessage(res);
  });
}
