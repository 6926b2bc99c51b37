// Runs every check of a counter PC, in the order support reads them, each bounded in time
// so one hung part (a stuck pcscd, a dead server) cannot hang the report.
import { type CheckResult, type DoctorContext, fail, msg } from './check.js';
import { checkCamera, checkSerial } from './devices.js';
import { checkFace } from './face.js';
import { checkBinding, checkPcscd } from './pcsc.js';
import { checkDataDir, checkDisk, checkKeychain, checkStore } from './store.js';
import { probeStore } from './store-probe.js';
import { askServer, checkClock, checkSync, serverUrl } from './sync.js';
import { checkTrust } from './trust.js';
import { checkVersion } from './version.js';

interface DoctorReport {
  checks: CheckResult[];
  /** Nothing failed (warnings allowed). */
  ok: boolean;
}

/** The check ids, in the order they are reported. */
export const CHECK_IDS = ['version', 'pcsc-binding', 'pcscd', 'camera', 'serial', 'keychain', 'data-dir', 'disk', 'store', 'trust', 'sync', 'clock', 'face'] as const;

async function bounded(id: string, ms: number, f: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve(fail(id, msg(`Kiểm tra "${id}" không xong sau ${ms / 1000} giây.`, `The "${id}" check did not finish within ${ms / 1000} s.`), msg('Chạy lại; nếu vẫn treo, khởi động lại máy và gọi kỹ thuật.', 'Run it again; if it still hangs, restart the PC and call support.'))),
      ms,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(f), late]).catch((e: unknown) =>
      fail(id, msg(`Kiểm tra "${id}" lỗi: ${(e as Error)?.message ?? String(e)}`, `The "${id}" check broke: ${(e as Error)?.message ?? String(e)}`), msg('Gửi kết quả này cho bộ phận kỹ thuật.', 'Send this report to support.')),
    );
  } finally {
    clearTimeout(timer);
  }
}

export async function runDoctor(ctx: DoctorContext): Promise<DoctorReport> {
  const store = probeStore(ctx.dataDir, ctx.now());
  const url = serverUrl(ctx, store);
  const answer = url ? await askServer(url, ctx) : undefined;
  // Independent checks run side by side; the face models take the longest.
  const checks = await Promise.all([
    bounded('version', 5000, () => checkVersion()),
    bounded('pcsc-binding', 10_000, () => checkBinding(ctx)),
    bounded('pcscd', 15_000, () => checkPcscd(ctx)),
    bounded('camera', 5000, () => checkCamera(ctx)),
    bounded('serial', 15_000, () => checkSerial(ctx)),
    bounded('keychain', 5000, () => checkKeychain(ctx)),
    bounded('data-dir', 10_000, () => checkDataDir(ctx)),
    bounded('disk', 5000, () => checkDisk(ctx, store)),
    bounded('store', 5000, () => checkStore(store)),
    bounded('trust', 30_000, () => checkTrust(ctx)),
    bounded('sync', 5000, () => checkSync(ctx, store, answer)),
    bounded('clock', 5000, () => checkClock(answer)),
    bounded('face', 120_000, () => checkFace(ctx)),
  ]);
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}
