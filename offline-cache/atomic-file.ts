// Small files that must never be half-written (keys): write a temporary file, fsync it,
// rename over the old one, fsync the directory so the rename itself survives a power cut.
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';

export function writeFileDurably(path: string, data: Uint8Array | string, mode = 0o600): void {
  const tmp = writeTemp(path, data, mode);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

/**
 * Like writeFileDurably, but never replaces an existing file: the temporary file is created
 * exclusively, fsynced, then hard-linked into place (link(2) is an atomic rename that fails
 * when the name exists). Returns false, writing nothing, when `path` already existed.
 */
export function createFileDurably(path: string, data: Uint8Array | string, mode = 0o600): boolean {
  const tmp = writeTemp(path, data, mode);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  syncDir(dirname(path));
  return true;
}

function writeTemp(path: string, data: Uint8Array | string, mode: number): string {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    // A half-written temporary file (disk full) is no use to anyone: do not leave it behind.
    rmSync(tmp, { force: true });
    throw e;
  }
  return tmp;
}

function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
