// The device's identity: an Ed25519 signing key (node:crypto) that signs every event, and a
// 32-byte data key that encrypts personal data at rest. Both live in one small key file.
// Where Electron's safeStorage is available the secret half is sealed by the OS keychain
// (DPAPI, Keychain, libsecret/kwallet) through an injected KeySealer; otherwise the file is
// the protection, so it must be 0600. On Linux safeStorage silently falls back to a
// plain-text backend ('basic_text') when no keyring runs: that is refused unless the caller
// explicitly allows it, and then it is warned about on every open.
//
// A store and its key belong together: the store records the key's device id and public
// half (meta `device_id`, `device_sign_pk`) and is never opened with another key, nor given
// a new one when its key file is gone (KEY_MISSING, KEY_MISMATCH).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { type ErrorCode, IdkError } from '../core/errors.js';
import { createFileDurably } from './atomic-file.js';
import { b64, unb64 } from './canonical.js';
import { ed25519FromSeed, randomBytes } from './platform-crypto.js';

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

export const KEY_FILE = 'device-key.json';

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

/** The key in `dataDir`, made (atomically, never over another process's) if there is none. */
export function loadOrCreateDeviceKeys(dataDir: string, opts: KeyOptions = {}): DeviceKeys {
  checkSealer(opts);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    const made = createKeys(path, opts);
    if (made) return made;
    // Another process made it between our look and our link: use theirs.
  }
  return loadKeys(path, opts);
}

function keyMissing(path: string, deviceId: string | undefined): IdkError {
  const who = deviceId ? ` (${deviceId})` : '';
  return keyError(
    'KEY_MISSING',
    `Kho dữ liệu này đã có bản ghi của thiết bị${who} nhưng thiếu tệp khóa ${path}: KHÔNG ghi được kết quả. Khôi phục device-key.json từ bản sao lưu; máy sẽ không tự tạo danh tính mới.`,
    `This store holds records of device${who} but its key file ${path} is missing: results can NOT be recorded. Restore device-key.json from backup; a new identity is never made on its own.`,
    { path, deviceId },
  );
}

function keyMismatch(path: string, storeDevice: string | undefined, keyDevice: string): IdkError {
  return keyError(
    'KEY_MISMATCH',
    `Tệp khóa ${path} (thiết bị ${keyDevice}) không thuộc kho dữ liệu này${storeDevice ? ` (thiết bị ${storeDevice})` : ''}: KHÔNG ghi được kết quả. Đặt lại đúng device-key.json của kho này; gọi kỹ thuật.`,
    `The key file ${path} (device ${keyDevice}) does not belong to this store${storeDevice ? ` (device ${storeDevice})` : ''}: results can NOT be recorded. Put back this store's own device-key.json; call support.`,
    { path, storeDevice, keyDevice },
  );
}

function keyCorrupt(path: string, cause: unknown): IdkError {
  return keyError('KEY_FILE_CORRUPT', `Tệp khóa thiết bị ${path} bị hỏng: khôi phục từ bản sao lưu.`, `The device key file ${path} is damaged: restore it from backup.`, {
    path,
    cause: String(cause),
  });
}

/**
 * Why device-key.json is not the identity a store recorded (meta device_id, device_sign_pk),
 * or undefined when it is. Reads the file's public part only, never unsealing the secret, so
 * `idkiosk doctor` can ask without the OS keyring.
 */
export function recordedKeyProblem(dataDir: string, recorded: { deviceId: string; signPublicKey: string | undefined }): IdkError | undefined {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) return keyMissing(path, recorded.deviceId);
  let f: Partial<KeyFile>;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeyFile>;
  } catch (e) {
    return keyCorrupt(path, e);
  }
  if (f.deviceId !== recorded.deviceId || f.signPublicKey !== recorded.signPublicKey) return keyMismatch(path, recorded.deviceId, String(f.deviceId));
  return undefined;
}

/**
 * The key of the store open on `db`, checked against the identity the store recorded.
 * A new store gets a new key (and records it); a store that has recorded events is never
 * given one. A store from before identities were recorded adopts its key file if any of its
 * events carries that key's device id. `readOnly`: check only, create and record nothing.
 */
export function bindDeviceKeys(db: Database.Database, dataDir: string, opts: KeyOptions & { readOnly?: boolean } = {}): DeviceKeys {
  const meta = (k: string): string | undefined => (db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
  const path = join(dataDir, KEY_FILE);
  const boundId = meta('device_id');
  if (boundId !== undefined) {
    // loadKeys proves the file's public key is its secret's, so checking the public part is enough.
    const problem = recordedKeyProblem(dataDir, { deviceId: boundId, signPublicKey: meta('device_sign_pk') });
    if (problem) throw problem;
    checkSealer(opts);
    return loadKeys(path, opts);
  }
  const events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  const used = events > 0 || Number(meta('head_seq') ?? 0) > 0;
  let k: DeviceKeys;
  if (used || opts.readOnly) {
    if (!existsSync(path)) throw keyMissing(path, undefined);
    checkSealer(opts);
    k = loadKeys(path, opts);
    const mine = (db.prepare('SELECT COUNT(*) AS n FROM events WHERE instr(body, ?) > 0').get(`"device":${JSON.stringify(k.deviceId)}`) as { n: number }).n;
    if (events > 0 && mine === 0) throw keyMismatch(path, undefined, k.deviceId);
  } else {
    k = loadOrCreateDeviceKeys(dataDir, opts);
  }
  if (!opts.readOnly) {
    const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    db.transaction(() => {
      put.run('device_id', k.deviceId);
      put.run('device_sign_pk', b64(k.signPublicKey));
    }).immediate();
  }
  return k;
}

function loadKeys(path: string, opts: KeyOptions): DeviceKeys {
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
    throw keyCorrupt(path, e);
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
  const pair = ed25519FromSeed(secret.subarray(0, 32));
  if (b64(pair.publicKey) !== f.signPublicKey) {
    throw keyError('KEY_FILE_CORRUPT', `Tệp khóa thiết bị ${path} không khớp khóa công khai.`, `The device key file ${path} does not match its public key.`);
  }
  return { deviceId: f.deviceId, signPublicKey: pair.publicKey, signSecretKey: pair.secretKey, dataKey: secret.slice(32), protection: f.protection };
}

/** Exclusive create, fsync, link into place: undefined if another process's key got there first. */
function createKeys(path: string, opts: KeyOptions): DeviceKeys | undefined {
  const seed = randomBytes(32);
  const dataKey = randomBytes(32);
  const pair = ed25519FromSeed(seed);
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
  if (!createFileDurably(path, JSON.stringify(f, null, 1) + '\n', 0o600)) return undefined;
  return { deviceId: f.deviceId, signPublicKey: pair.publicKey, signSecretKey: pair.secretKey, dataKey, protection };
}
