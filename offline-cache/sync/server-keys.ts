// The ingest server's own keys: an X25519 pair that devices seal batches to, and a data
// key that encrypts the personal data it stores. One 0600 file, created on first start.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import nacl from 'tweetnacl';
import { IdkError } from '../../core/errors.js';
import { writeFileDurably } from '../atomic-file.js';
import { b64, unb64 } from '../canonical.js';

export interface ServerKeys {
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
  dataKey: Uint8Array;
}

export function loadOrCreateServerKeys(path: string): ServerKeys {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const box = nacl.box.keyPair();
    const dataKey = nacl.randomBytes(32);
    writeFileDurably(path, JSON.stringify({ v: 1, boxSecretKey: b64(box.secretKey), dataKey: b64(dataKey) }) + '\n', 0o600);
    return { boxPublicKey: box.publicKey, boxSecretKey: box.secretKey, dataKey };
  }
  if (process.platform !== 'win32' && statSync(path).mode & 0o077) {
    throw new IdkError('KEY_FILE_INSECURE', {
      vi: `Tệp khóa máy chủ ${path} để người khác đọc được: chạy "chmod 600 ${path}".`,
      en: `The server key file ${path} is readable by others: run "chmod 600 ${path}".`,
    });
  }
  const f = JSON.parse(readFileSync(path, 'utf8')) as { boxSecretKey: string; dataKey: string };
  const pair = nacl.box.keyPair.fromSecretKey(unb64(f.boxSecretKey));
  return { boxPublicKey: pair.publicKey, boxSecretKey: pair.secretKey, dataKey: unb64(f.dataKey) };
}
