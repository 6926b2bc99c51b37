// `idkiosk bench`: each figure as a ratio against a limit measured in the same run, so the
// numbers mean the same on a slow kiosk PC and a fast laptop. One module a benchmark, each
// loaded only when it runs; a new benchmark is one file here and one line in BENCHES.
import { IdkError } from '../../core/errors.js';
import { type Figure, line } from './figure.js';

const BENCHES: Record<string, () => Promise<Figure[]>> = {
  read: async () => (await import('./read.js')).benchRead(),
  'read-pcsc': async () => (await import('./read-pcsc.js')).benchReadPcsc(),
  app: async () => (await import('./app.js')).benchApp(),
  face: async () => (await import('./face.js')).benchFace(),
  sync: async () => (await import('./sync.js')).benchSync(),
  qr: async () => (await import('./qr.js')).benchQr(),
  fingerprint: async () => (await import('./fingerprint.js')).benchFingerprint(),
  api: async () => (await import('./api.js')).benchApi(),
};

export async function runBench(args: string[]): Promise<number> {
  const names = args.length > 0 ? args : Object.keys(BENCHES);
  for (const n of names) {
    const b = BENCHES[n];
    if (!b) {
      throw new IdkError('BAD_ARGUMENTS', {
        vi: `Không có benchmark "${n}" (có: ${Object.keys(BENCHES).join(', ')}).`,
        en: `No benchmark "${n}" (available: ${Object.keys(BENCHES).join(', ')}).`,
      });
    }
    console.log(`# ${n}`);
    for (const f of await b()) console.log(line(f));
  }
  return 0;
}
