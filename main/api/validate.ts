// The runtime half of the contract: main trusts nothing a page sends. A handful of
// combinators, one schema per request; anything else is a BAD_REQUEST that names the
// field, so a renderer bug shows up as a clear error, not as undefined behaviour.
import { IdkError } from '../../core/errors.js';
import type { ClientFrame, Method, Params } from './contract.js';
import { PROFILES, REVIEW_CHECKS } from './contract.js';

type Check<T> = (v: unknown, path: string) => T;

export function badRequest(path: string, why: string): IdkError {
  return new IdkError(
    'BAD_REQUEST',
    {
      vi: `Yêu cầu không hợp lệ từ giao diện (${path}: ${why}).`,
      en: `Invalid request from the screen (${path}: ${why}).`,
    },
    { detail: { path } },
  );
}

const str =
  (re?: RegExp, max = 200): Check<string> =>
  (v, path) => {
    if (typeof v !== 'string') throw badRequest(path, 'expected text');
    if (v.length > max) throw badRequest(path, `longer than ${max}`);
    if (re && !re.test(v)) throw badRequest(path, 'wrong format');
    return v;
  };

const bool: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw badRequest(path, 'expected true or false');
  return v;
};

const int =
  (min: number, max: number): Check<number> =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw badRequest(path, `expected a whole number ${min}..${max}`);
    return v;
  };

function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (v, path) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw badRequest(path, `expected one of ${values.join(', ')}`);
    return v as T;
  };
}

function list<T>(item: Check<T>, max: number): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw badRequest(path, 'expected a list');
    if (v.length > max) throw badRequest(path, `more than ${max} items`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}
/** null, or what `c` accepts. */
const nullable =
  <T>(c: Check<T>): Check<T | null> =>
  (v, path) =>
    v === null ? null : c(v, path);

type Shape = Record<string, Check<unknown>>;
type FromShape<S extends Shape, O extends Shape> = { [K in keyof S]: ReturnType<S[K]> } & { [K in keyof O]?: ReturnType<O[K]> };

function obj<S extends Shape, O extends Shape = Record<never, never>>(required: S, optional?: O): Check<FromShape<S, O>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(path, 'expected an object');
    const rec = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec)) {
      if (!(k in required) && !(optional && k in optional)) throw badRequest(`${path}.${k}`, 'unknown field');
    }
    for (const [k, c] of Object.entries(required)) out[k] = c(rec[k], `${path}.${k}`);
    for (const [k, c] of Object.entries(optional ?? {})) if (rec[k] !== undefined) out[k] = c(rec[k], `${path}.${k}`);
    return out as FromShape<S, O>;
  };
}

const none = obj({});
const yymmdd = str(/^\d{6}$/, 6);

const accessKey: Check<Params<'accessKey'>> = (v, path) => {
  const kind = (v as { kind?: unknown } | null)?.kind;
  if (kind === 'can') return obj({ kind: oneOf(['can'] as const), can: str(/^\d{6}$/, 6) })(v, path);
  if (kind === 'mrz') {
    return obj({ kind: oneOf(['mrz'] as const), documentNumber: str(/^[0-9A-Z<]{1,20}$/, 20), dateOfBirth: yymmdd, dateOfExpiry: yymmdd })(v, path);
  }
  throw badRequest(`${path}.kind`, 'expected can or mrz');
};

const session = str(/^[A-Za-z0-9_-]{16,64}$/, 64);
const cameraPurpose = oneOf(['qr', 'face', 'mrz'] as const);
/** A 640x480 JPEG grab is 30-80 KB; twice that in base64 leaves room for a better camera (ws-server's maxPayload allows it). */
const MAX_FRAME_BASE64 = 400_000;
/** One piece of a trust file upload (base64 characters). */
const MAX_TRUST_PIECE = 400_000;

const SCHEMAS: { [M in Method]: Check<Params<M>> } = {
  hello: none,
  accessKey,
  confirm: obj({ id: str(/^[A-Za-z0-9_-]{1,64}$/, 64) }, { checked: list(oneOf(REVIEW_CHECKS), REVIEW_CHECKS.length) }),
  // The reason's content (one line, not blank) is checked by the kiosk, whose OVERRIDE_REASON_REQUIRED says what to type.
  override: obj({ id: str(/^[A-Za-z0-9_-]{1,64}$/, 64), pin: str(/^\d{4,12}$/, 12), reason: str(undefined, 400) }),
  skipFace: obj({ id: str(/^[A-Za-z0-9_-]{1,64}$/, 64) }),
  clear: none,
  status: none,
  setLang: obj({ lang: oneOf(['vi', 'en'] as const) }),
  unlockSettings: obj({ pin: str(/^\d{4,12}$/, 12) }),
  updateSettings: obj(
    { session },
    { profile: oneOf(PROFILES), idleSeconds: int(5, 600), station: str(/^\P{Cc}{1,60}$/u, 60), sound: bool, newPin: str(/^\d{4,12}$/, 12), apiPort: nullable(int(1024, 65535)), sharePhoto: bool },
  ),
  lockSettings: obj({ session }),
  // The scheme is checked by syncUrlFor, whose BAD_SYNC_URL tells the operator what is wrong.
  setSyncServer: obj({ session, url: str(/^\S{1,308}$/, 308) }, { token: str(/^\S{1,200}$/, 200) }),
  trustSummary: obj({ session }),
  history: obj({ session }, { last: str(/^\d{1,12}$/, 12) }),
  // A piece of base64 well under the WebSocket frame limit (512 KiB); the kiosk caps the whole file.
  importTrust: obj({ session, name: str(/^[^/\\\p{Cc}]{1,120}$/u, 120), data: str(/^[A-Za-z0-9+/]*={0,2}$/, MAX_TRUST_PIECE), done: bool }, { append: bool }),
  trustMedia: obj({ session }),
  importTrustMedia: obj({ session, path: str(/^\/[^\p{Cc}]{1,1000}$/u, 1000) }),
  recordPdf: obj({ id: str(/^[A-Za-z0-9_-]{1,64}$/, 64) }),
  demoCard: obj({ present: bool }),
  scanMrz: obj({ on: bool }),
  // Longer than any CCCD QR on purpose: the parser answers over-long text with QR_TOO_LONG, a clearer message than BAD_REQUEST.
  qrText: obj({ text: str(undefined, 4096), source: oneOf(['camera', 'wedge', 'serial', 'typed'] as const) }),
  cameraFrame: obj({ purpose: cameraPurpose, jpeg: str(/^[A-Za-z0-9+/]+={0,2}$/, MAX_FRAME_BASE64) }, { device: str(undefined, 120) }),
  cameraError: obj({ purpose: cameraPurpose, code: oneOf(['CAMERA_NONE', 'CAMERA_DENIED', 'CAMERA_FAILED'] as const) }, { device: str(undefined, 120) }),
};

export function isMethod(m: unknown): m is Method {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(SCHEMAS, m);
}

export function validateParams<M extends Method>(method: M, params: unknown): Params<M> {
  return (SCHEMAS[method] as Check<Params<M>>)(params ?? {}, 'params');
}

/**
 * A whole WebSocket frame from a page, checked before anything looks at it. The method
 * name is checked by dispatch, so an unknown one is answered (it has an id), not hung up on.
 */
export function parseClientFrame(text: string): Omit<ClientFrame, 'method'> & { method: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badRequest('frame', 'not JSON');
  }
  const f = obj({ t: oneOf(['req'] as const), id: int(0, Number.MAX_SAFE_INTEGER), method: str(undefined, 40) }, { params: (x: unknown) => x })(v, 'frame');
  return { t: 'req', id: f.id, method: f.method, params: f.params };
}
