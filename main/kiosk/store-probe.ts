// Whether the local store can take the next record, checked before a clerk relies on it: a
// data folder on a disk that went read-only (a failing SD card remounts so), was unplugged
// or filled up. A small file is written, fsynced and removed; free space is compared with the
// reserve below which the store refuses records anyway (offline-cache/store.ts). The kiosk
// polls it and the screen goes out of service while it fails, and back by itself.
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IdkError, errorData } from '../../core/errors.js';
import { freeDiskBytes } from '../../offline-cache/store.js';
import type { ApiError } from '../api/contract.js';
import type { StoreProbe } from './parts.js';

/** The store's own reserve (offline-cache/store.ts diskReserveBytes default): below it records are refused. */
const RESERVE_BYTES = 16 * 1024 * 1024;

export function storeProbe(dir: string, reserveBytes = RESERVE_BYTES): StoreProbe {
  const probe = join(dir, '.write-probe');
  return {
    dir,
    check(): { problem: ApiError; why: string } | undefined {
      try {
        const fd = openSync(probe, 'w', 0o600);
        try {
          writeSync(fd, 'ok\n');
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        unlinkSync(probe);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        return {
          why: `data folder ${dir} is not writable (${why}): check the disk (dmesg; mount -o remount,rw; fsck), then the kiosk resumes by itself`,
          problem: errorData(
            new IdkError('STORE_UNAVAILABLE', {
              vi: 'Máy không ghi được kết quả xác thực vào ổ đĩa.',
              en: 'This station cannot write verification records to its disk.',
            }),
          ),
        };
      }
      let free: number;
      try {
        free = freeDiskBytes(dir);
      } catch {
        return undefined;
      }
      if (free >= reserveBytes) return undefined;
      return {
        why: `data folder ${dir}: ${Math.round(free / 1024)} KiB free, below the ${reserveBytes >> 20} MiB reserve; free space on that disk`,
        problem: errorData(new IdkError('STORE_FULL', { vi: 'Ổ đĩa của máy đã gần đầy: kết quả xác thực không lưu được.', en: 'The disk of this station is nearly full: verification records cannot be stored.' })),
      };
    },
  };
}
