// The device's identity: an Ed25519 signing key (tweetnacl) that signs every event, and a
// 32-byte data key that encrypts personal data at rest. Both live in one small key file.
// Where Electron's safeStorage is available the secret half is sealed by the OS keychain
// (DPAPI, Keychain, libsecret/kwallet) through an injected KeySealer; otherwise the file is
// the protection, so it must be 0600. On Linux safeStorage silently falls back to a
// plain-text backend ('basic_text') when no keyring runs: that is refused unless the caller
// explicitly allows it, and then it is warned about on every open.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import nacl from 'tweetnacl';
import { type ErrorCode, IdkError } from '../core/errors.js';
import { writeFileDurably } from './atomic-file.js';
import { b64, unb64 } from './canonical.js';

export interface DeviceKeys {
  deviceId: string;
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  dataKey: Uint8Array;
  /** How the secret half is protected on disk: 'file-0600' or the sealer's name. */
  protection: string;
}

/** What Electron's safeStorage offers, reduced to what we use (so it can be injected, and faked in tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Uint8Array;
  decryptString(sealed: Buffer): string;
  /** Linux only in Electron: 'basic_text' means no real keyring, i.e. no protection. */
  getSelectedStorageBackend?(): string;
}

export interface KeySealer {
  name: string;
  /** True when "sealing" does not actually protect the key (e.g. safeStorage's basic_text). */
  plaintext: boolean;
  seal(secret: Uint8Array): Uint8Array;
  unseal(sealed: Uint8Array): Uint8Array;
}

export function safeStorageSealer(s: SafeStorageLike): KeySealer | undefined {
  if (!s.isEncryptionAvailable()) return undefined;
  const backend = s.getSelectedStorageBackend?.() ?? 'os';
  return {
    name: `safeStorage:${backend}`,
    plaintext: backend === 'basic_text' || backend === 'unknown',
    seal: (secret) => new Uint8Array(s.encryptString(b64(secret))),
    unseal: (sealed) => unb64(s.decryptString(Buffer.from(sealed))),
  };
}

export interface KeyOptions {
  sealer?: KeySealer;
  /** Accept a sealer that is really plain text (warned about loudly on each open). */
  allowPlaintextSealer?: boolean;
  warn?: (message: string) => void;
}

interface KeyFile {
  v: 1;
  deviceId: string;
  signPublicKey: string;
  protection: string;
  /** seed (32) || data key (32), sealed by `protection` unless it is 'file-0600'. */
  secret: string;
}

const KEY_FILE = 'device-key.json';

function keyError(code: ErrorCode, vi: string, en: string, detail?: Record<string, unknown>): IdkError {
  return new IdkError(code, { vi, en }, detail ? { detail } : undefined);
}

function checkSealer(opts: KeyOptions): void {
  const s = opts.sealer;
  if (!s?.plaintext) return;
  if (!opts.allowPlaintextSealer) {
    throw keyError(
      'KEY_STORAGE_INSECURE',
      `Kho khóa của hệ điều hành (${s.name}) không mã hóa thật: hãy bật keyring (gnome-keyring/kwallet) rồi mở lại.`,
      `The OS key storage (${s.name}) does not really encrypt: start a keyring (gnome-keyring/kwallet) and reopen.`,
    );
  }
  (opts.warn ?? console.warn)(
    `idkiosk: WARNING: device key sealed by ${s.name}, which stores it in plain text; anyone who can read the data folder can sign events as this device.`,
  );
}

export function loadOrCreateDeviceKeys(dataDir: string, opts: KeyOptions = {}): DeviceKeys {
  checkSealer(opts);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) return createKeys(path, opts);
  if (process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      throw keyError(
        'KEY_FILE_INSECURE',
        `Tệp khóa thiết bị ${path} để người khác đọc được (quyền ${mode.toString(8)}): chạy "chmod 600 ${path}" rồi thử lại.`,
        `The device key file ${path} is readable by others (mode ${mode.toString(8)}): run "chmod 600 ${path}" and retry.`,
        { path, mode },
      );
    }
  }
  let f: KeyFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
    if (f.v !== 1 || typeof f.secret !== 'string' || typeof f.deviceId !== 'string') throw new Error('shape');
  } catch (e) {
    throw keyError('KEY_FILE_CORRUPT', `Tệp khóa thiết bị ${path} bị hỏng: khôi phục từ bản sao lưu.`, `The device key file ${path} is damaged: restore it from backup.`, {
      path,
      cause: String(e),
    });
  }
  let secret = unb64(f.secret);
  if (f.protection !== 'file-0600') {
    if (!opts.sealer || opts.sealer.name.split(':')[0] !== f.protection.split(':')[0]) {
      throw keyError(
        'KEY_SEALER_MISSING',
        `Khóa thiết bị được niêm phong bằng ${f.protection}, không có sẵn ở đây: mở ứng dụng kiosk (Electron) để dùng kho dữ liệu này.`,
        `The device key is sealed by ${f.protection}, which is not available here: open this data folder from the kiosk app (Electron).`,
      );
    }
    secret = opts.sealer.unseal(secret);
  }
  if (secret.length !== 64) throw keyError('KEY_FILE_CORRUPT', `Tệp khóa thiết bị ${path} bị hỏng.`, `The device key file ${path} is damaged.`);
  const pair = nacl.sign.keyPair.fromSeed(secret.subarray(0, 32));
  if (b64(pair.publicKey) !== f.signPublicKey) {
    throw keyError('KEY_FILE_CORRUPT', `Tệp khóa thiết bị ${path} không khớp khóa công khai.`, `The device key file ${path} does not match its public key.`);
  }
  return { deviceId: f.deviceId, signPublicKey: pair.publicKey, signSecretKey: pair.secretKey, dataKey: secret.slice(32), protection: f.protection };
}

function createKeys(path: string, opts: KeyOptions): DeviceKeys {
  const seed = nacl.randomBytes(32);
  const dataKey = nacl.randomBytes(32);
  const pair = nacl.sign.keyPair.fromSeed(seed);
  const secret = new Uint8Array(64);
  secret.set(seed);
  secret.set(dataKey, 32);
  const protection = opts.sealer ? opts.sealer.name : 'file-0600';
  const f: KeyFile = {
    v: 1,
    deviceId: randomUUID(),
    signPublicKey: b64(pair.publicKey),
    protection,
    secret: b64(opts.sealer ? opts.sealer.seal(secret) : secret),
  };
  writeFileDurably(path, JSON.stringify(f, null, 1) + '\n', 0o600);
  return { deviceId: f.deviceId, signPublicKey: pair.publicKey, signSecretKey: pair.secretKey, dataKey, protection };
}
