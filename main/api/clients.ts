// The programs paired with the local identity service (the hospital's HIS page, the
// residence-registration software…): a name, the browser origins it may call from, and
// the SHA-256 of its bearer token. The token itself is shown once by `idkiosk api pair`
// and never stored. A plain JSON file beside the store, written like the settings file
// (temporary file, fsync, rename, 0600), so `api pair` and `api revoke` work while the
// kiosk runs: the service re-reads the file when it changed, and a revoke counts at once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { writeFileDurably } from '../../offline-cache/atomic-file.js';

export const CLIENTS_FILE = 'api-clients.json';

export interface PairedClient {
  name: string;
  /** Browser origins (scheme://host[:port]) the client may call from; empty: no browser calls. */
  origins: string[];
  /** SHA-256 of the token, hex. A token is 32 random bytes, so a fast hash is enough. */
  tokenSha256: string;
  pairedAt: string;
  revokedAt?: string;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;
const TOKEN_PREFIX = 'idk_';

function fileError(path: string, e: unknown): IdkError {
  const code = (e as NodeJS.ErrnoException).code ?? 'damaged';
  return new IdkError('API_CLIENTS_FILE', {
    vi: `Không đọc hoặc ghi được tệp ứng dụng đã ghép nối ${path} (${code}).`,
    en: `The paired-clients file ${path} cannot be read or written (${code}).`,
  });
}

function badArg(en: string, vi: string): IdkError {
  return new IdkError('BAD_ARGUMENTS', { vi, en });
}

/** `https://his.benhvien.vn/path` → `https://his.benhvien.vn`; anything that is not an http(s) origin is refused. */
function normalizeOrigin(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw badArg(`--origin ${JSON.stringify(text)} is not a URL such as https://his.benhvien.vn`, `--origin ${JSON.stringify(text)} không phải địa chỉ dạng https://his.benhvien.vn`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw badArg('--origin must be an http(s) origin', '--origin phải là địa chỉ http(s)');
  if (u.username || u.password) throw badArg('--origin must not hold a user name or password', '--origin không được chứa tên đăng nhập hay mật khẩu');
  return u.origin;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function parseClients(text: string): PairedClient[] {
  const raw = JSON.parse(text) as { v?: unknown; clients?: unknown };
  if (raw.v !== 1 || !Array.isArray(raw.clients)) throw new Error('shape');
  return raw.clients.map((c: Partial<PairedClient>) => {
    if (typeof c.name !== 'string' || typeof c.tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(c.tokenSha256) || !Array.isArray(c.origins) || typeof c.pairedAt !== 'string') throw new Error('client');
    return { name: c.name, origins: c.origins.filter((o): o is string => typeof o === 'string'), tokenSha256: c.tokenSha256, pairedAt: c.pairedAt, ...(typeof c.revokedAt === 'string' ? { revokedAt: c.revokedAt } : {}) };
  });
}

/** The registry in one data folder. Reads are cached until the file's mtime or size changes. */
export class ClientRegistry {
  readonly path: string;
  private cache: { key: string; clients: PairedClient[] } | undefined;

  constructor(dataDir: string) {
    this.path = join(dataDir, CLIENTS_FILE);
  }

  list(): PairedClient[] {
    let key: string;
    try {
      const st = statSync(this.path);
      key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fileError(this.path, e);
    }
    if (this.cache?.key === key) return this.cache.clients;
    let clients: PairedClient[];
    try {
      clients = parseClients(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw fileError(this.path, e);
    }
    this.cache = { key, clients };
    return clients;
  }

  private save(clients: PairedClient[]): void {
    try {
      writeFileDurably(this.path, JSON.stringify({ v: 1, clients }, null, 2) + '\n', 0o600);
    } catch (e) {
      throw fileError(this.path, e);
    }
    this.cache = undefined;
  }

  /** Pairs a new client; returns its token, which exists nowhere else afterwards. */
  pair(name: string, origins: string[], now = new Date()): { client: PairedClient; token: string } {
    if (!NAME.test(name)) throw badArg('--name: 1 to 40 letters, digits, spaces, dots, dashes', '--name: 1 đến 40 chữ, số, dấu cách, chấm, gạch');
    const clients = this.list();
    if (clients.some((c) => c.name === name && !c.revokedAt)) {
      throw new IdkError('API_CLIENT_EXISTS', {
        vi: `Đã có ứng dụng tên "${name}": thu hồi trước (idkiosk api revoke ${name}) rồi ghép nối lại.`,
        en: `A client named "${name}" is already paired: revoke it first (idkiosk api revoke ${name}), then pair again.`,
      });
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const client: PairedClient = { name, origins: [...new Set(origins.map(normalizeOrigin))], tokenSha256: tokenHash(token), pairedAt: now.toISOString() };
    // A revoked entry of the same name is kept for the record but no longer matches anything.
    this.save([...clients, client]);
    return { client, token };
  }

  revoke(name: string, now = new Date()): PairedClient {
    const clients = this.list();
    const i = clients.findIndex((c) => c.name === name && !c.revokedAt);
    if (i < 0) {
      throw new IdkError('API_CLIENT_UNKNOWN', {
        vi: `Không có ứng dụng đang ghép nối tên "${name}" (xem idkiosk api clients).`,
        en: `No paired client is named "${name}" (see idkiosk api clients).`,
      });
    }
    const revoked = { ...clients[i]!, revokedAt: now.toISOString() };
    this.save(clients.map((c, j) => (j === i ? revoked : c)));
    return revoked;
  }

  /** The active client holding this token, or undefined (unknown or revoked). */
  authenticate(token: string): PairedClient | undefined {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const h = Buffer.from(tokenHash(token), 'hex');
    let found: PairedClient | undefined;
    // Every entry is compared, in constant time, so timing says nothing about which matched.
    for (const c of this.list()) {
      if (timingSafeEqual(Buffer.from(c.tokenSha256, 'hex'), h) && !c.revokedAt) found = c;
    }
    return found;
  }

  /** Whether any active client was paired with this origin (what a CORS preflight may know). */
  originPaired(origin: string): boolean {
    return this.list().some((c) => !c.revokedAt && c.origins.includes(origin));
  }
}
