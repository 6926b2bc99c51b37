// The ingest server's keys, shared by every node on one database.
//
// A key set is an X25519 pair that devices seal their batches to, and a data key that
// seals the personal part of each stored event (AES-256-GCM, bound to its device and
// sequence number). Key sets live in the database (`server_keys`), their secret halves
// sealed under the operator's master key, which never touches the database: it comes from
// $IDKIOSK_SERVER_MASTER_KEY (base64 of 32 bytes) or a file named by
// $IDKIOSK_SERVER_MASTER_KEY_FILE / --master-key-file. So any node given the master key
// opens the same keys, and a copy of the database alone opens nothing.
//
// Each stored event names the key id it was sealed under. Rotation adds a new key set
// that new records use; older sets stay, so every record stays readable and devices that
// still seal to an older X25519 key are still heard (until they re-enrol, which gives them
// the newest). The reference server before this design kept one key set in a 0600
// `server-key.json`; it is imported once as key id `legacy` (secretbox-sealed records).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import nacl from 'tweetnacl';
import { type ErrorCode, IdkError } from '../../core/errors.js';
import { writeFileDurably } from '../atomic-file.js';
import { unb64 } from '../canonical.js';
import { openField } from '../crypto-box.js';
import type { KeyRow, ServerStore } from './server-store.js';
import { gcmOpen, gcmSeal, subjectAad } from './subject-seal.js';

const MASTER_KEY_ENV = 'IDKIOSK_SERVER_MASTER_KEY';
const MASTER_KEY_FILE_ENV = 'IDKIOSK_SERVER_MASTER_KEY_FILE';
export const LEGACY_KEY_ID = 'legacy';

interface ServerKeySet {
  keyId: string;
  createdAt: number;
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
  dataKey: Uint8Array;
}

function keyError(code: ErrorCode, en: string, vi: string): IdkError {
  return new IdkError(code, { vi, en });
}

/**
 * The operator's master key: the environment variable, else the file it names or `file`,
 * else (only when `createIn` is given: a single-machine SQLite server) a 0600 file created there.
 */
export function loadMasterKey(o: { env?: NodeJS.ProcessEnv; file?: string; createIn?: string } = {}): Uint8Array {
  const env = o.env ?? process.env;
  const fromText = (text: string, where: string): Uint8Array => {
    let k: Uint8Array | undefined;
    try {
      k = unb64(text.trim());
    } catch {
      k = undefined;
    }
    if (!k || k.length !== 32) {
      throw keyError('MASTER_KEY_INVALID', `the server master key in ${where} is not base64 of 32 bytes (make one with: openssl rand -base64 32)`, `khóa chủ của máy chủ trong ${where} không phải base64 của 32 byte (tạo bằng: openssl rand -base64 32)`);
    }
    return k;
  };
  if (env[MASTER_KEY_ENV]) return fromText(env[MASTER_KEY_ENV]!, `$${MASTER_KEY_ENV}`);
  const file = env[MASTER_KEY_FILE_ENV] || o.file;
  const readFile = (path: string): Uint8Array => {
    if (process.platform !== 'win32' && statSync(path).mode & 0o077) {
      throw keyError('KEY_FILE_INSECURE', `The server master key file ${path} is readable by others: run "chmod 600 ${path}".`, `Tệp khóa chủ của máy chủ ${path} để người khác đọc được: chạy "chmod 600 ${path}".`);
    }
    return fromText(readFileSync(path, 'utf8'), path);
  };
  if (file) {
    if (!existsSync(file)) throw keyError('MASTER_KEY_MISSING', `the server master key file ${file} does not exist`, `không có tệp khóa chủ của máy chủ ${file}`);
    return readFile(file);
  }
  if (o.createIn) {
    const path = `${o.createIn}/master.key`;
    if (existsSync(path)) return readFile(path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const k = randomBytes(32);
    writeFileDurably(path, k.toString('base64') + '\n', 0o600);
    return new Uint8Array(k);
  }
  throw keyError(
    'MASTER_KEY_MISSING',
    `a server on PostgreSQL needs the master key that seals its keys, the same on every node: set $${MASTER_KEY_ENV} (base64 of 32 bytes) or $${MASTER_KEY_FILE_ENV} / --master-key-file`,
    `máy chủ dùng PostgreSQL cần khóa chủ (giống nhau trên mọi máy): đặt $${MASTER_KEY_ENV} (base64 của 32 byte) hoặc $${MASTER_KEY_FILE_ENV} / --master-key-file`,
  );
}

const ALG_GCM = 1;
const ALG_SECRETBOX = 2;

const keyAad = (keyId: string): Buffer => Buffer.from(`idkiosk-server-key-v1|${keyId}`);

function sealKeySet(master: Uint8Array, k: ServerKeySet, alg: number): KeyRow {
  const secret = new Uint8Array(65);
  secret[0] = alg;
  secret.set(k.boxSecretKey, 1);
  secret.set(k.dataKey, 33);
  return { keyId: k.keyId, createdAt: k.createdAt, boxPublicKey: k.boxPublicKey, sealed: gcmSeal(master, secret, keyAad(k.keyId)) };
}

function newKeySet(now: number): ServerKeySet {
  const box = nacl.box.keyPair();
  const stamp = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
  return { keyId: `k${stamp}-${randomBytes(4).toString('hex')}`, createdAt: now, boxPublicKey: box.publicKey, boxSecretKey: box.secretKey, dataKey: new Uint8Array(randomBytes(32)) };
}

/** The key sets one node holds in memory; the newest seals new records and is given at enrolment. */
export class ServerKeyring {
  private sets: (ServerKeySet & { alg: number })[] = [];

  constructor(
    private readonly store: ServerStore,
    private readonly master: Uint8Array,
  ) {}

  get current(): ServerKeySet {
    const k = this.sets[this.sets.length - 1];
    if (!k) throw new Error('server keyring not loaded');
    return k;
  }

  get all(): readonly ServerKeySet[] {
    return this.sets;
  }

  /** Box secret keys to try on a batch, the newest first (devices move to it as they re-enrol). */
  boxSecretKeys(): Uint8Array[] {
    return this.sets.map((k) => k.boxSecretKey).reverse();
  }

  /** Reads the key sets from the database; an empty database gets its first set (one node wins the race). */
  async load(o: { now?: number; legacyFile?: string } = {}): Promise<this> {
    let rows = await this.store.keyRows();
    if (rows.length === 0) {
      const now = o.now ?? Date.now();
      const legacy = o.legacyFile && existsSync(o.legacyFile) ? legacyKeySet(o.legacyFile, now) : undefined;
      const first = legacy ? sealKeySet(this.master, legacy, ALG_SECRETBOX) : sealKeySet(this.master, newKeySet(now), ALG_GCM);
      // The legacy set only opens what it sealed and what devices still seal to it: new records get a new set.
      if ((await this.store.addKeyRow(first, true)) && legacy) await this.store.addKeyRow(sealKeySet(this.master, newKeySet(now + 1), ALG_GCM), false);
      rows = await this.store.keyRows();
    }
    this.sets = rows.map((r) => {
      const secret = gcmOpen(this.master, r.sealed, keyAad(r.keyId));
      if (!secret || secret.length !== 65) {
        throw keyError(
          'MASTER_KEY_WRONG',
          `the server master key does not open key set ${r.keyId} in this database: every node of one database needs the same master key`,
          `khóa chủ không mở được bộ khóa ${r.keyId} trong cơ sở dữ liệu này: mọi máy chủ dùng chung một cơ sở dữ liệu cần cùng một khóa chủ`,
        );
      }
      return { keyId: r.keyId, createdAt: r.createdAt, boxPublicKey: r.boxPublicKey, boxSecretKey: secret.slice(1, 33), dataKey: secret.slice(33), alg: secret[0]! };
    });
    return this;
  }

  /** A new key set for new records and new enrolments; the older ones stay for what they sealed. */
  async rotate(now = Date.now()): Promise<ServerKeySet> {
    const k = newKeySet(now);
    await this.store.addKeyRow(sealKeySet(this.master, k, ALG_GCM), false);
    await this.load();
    return k;
  }

  /** Seals a subject under the newest key set, bound to its device and sequence number. */
  sealSubject(deviceId: string, seq: number, plain: Uint8Array): { keyId: string; sealed: Uint8Array } {
    const k = this.current;
    return { keyId: k.keyId, sealed: gcmSeal(k.dataKey, plain, subjectAad(deviceId, seq)) };
  }

  /** Opens a stored subject with the key set it names. */
  openSubject(keyId: string, deviceId: string, seq: number, sealed: Uint8Array): Uint8Array {
    const k = this.sets.find((s) => s.keyId === keyId);
    if (!k) throw keyError('UNKNOWN_KEY_ID', `no server key set ${keyId}: reload the keys or restore the database`, `không có bộ khóa máy chủ ${keyId}`);
    if (k.alg === ALG_SECRETBOX) return openField(k.dataKey, sealed, `personal data of ${deviceId}/${seq}`);
    const plain = gcmOpen(k.dataKey, sealed, subjectAad(deviceId, seq));
    if (!plain) throw keyError('DECRYPT_FAILED', `could not open the personal data of ${deviceId}/${seq} with key set ${keyId}`, `không giải mã được dữ liệu cá nhân của ${deviceId}/${seq}`);
    return plain;
  }
}

/** The key file of the reference server before keys moved into the database. */
function legacyKeySet(path: string, now: number): ServerKeySet {
  const f = JSON.parse(readFileSync(path, 'utf8')) as { boxSecretKey: string; dataKey: string };
  const pair = nacl.box.keyPair.fromSecretKey(unb64(f.boxSecretKey));
  return { keyId: LEGACY_KEY_ID, createdAt: now, boxPublicKey: pair.publicKey, boxSecretKey: pair.secretKey, dataKey: unb64(f.dataKey) };
}

/** Opens the keyring of a store with the master key (creating the first key set on an empty database). */
export async function openKeyring(store: ServerStore, master: Uint8Array, o: { legacyFile?: string } = {}): Promise<ServerKeyring> {
  return new ServerKeyring(store, master).load(o);
}
