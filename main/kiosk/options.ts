// The one options contract of every kiosk entry: `idkiosk start` and `idkiosk demo` (headless
// host or Electron), the Electron main process, and `demo --once`. One parser, one type, and
// one canonical argv that carries parsed options to the Electron process, so an option
// cannot reach the kiosk on one path and be dropped on another (issue #13: Electron used to
// lose --trust, --reader and --data-dir, and the demo's trust store).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES, type Profile } from '../api/contract.js';
import { demoCard, packageRoot } from '../paths.js';
import { usageError } from '../../core/errors.js';

/** What reaches `kioskFor` from the command line, identically on every path. */
export interface KioskLaunchOptions {
  /** A card folder for the software chip (demo mode); absent: live mode through PC/SC. */
  card?: string;
  /** A trust folder (CSCA, master lists, CRLs); the demo trusts its own test CSCA. */
  trust?: string;
  /** Live mode: the PC/SC reader to use; default the first one pcscd lists. */
  reader?: string;
  /** Store and settings; default $IDKIOSK_DATA_DIR, else ~/.local/share/idkiosk. */
  dataDir?: string;
  /** The ingest server to forward to; default $IDKIOSK_SYNC_URL, else the enrolled one. */
  sync?: string;
  /** Operator enrolment token, needed once per server; default $IDKIOSK_SYNC_TOKEN. */
  syncToken?: string;
  /** Open a demo card with its own CAN, as if the clerk had typed it. */
  autoKey: boolean;
  profile?: Profile;
  /** Face 1:1 against the camera after each read (off with --no-face, and for --once: no camera there). */
  face: boolean;
  /** A USB-serial QR scanner's port, and its baud rate. */
  qrSerial?: string;
  qrBaud?: number;
}

/** Every option of `start` and `demo`: what reaches the kiosk, and how this run shows it. */
export interface StartOptions extends KioskLaunchOptions {
  /** The software chip (`demo`, `--demo`, or `--card`). */
  demo: boolean;
  headless: boolean;
  port: number;
  /** Headless host: write its URL (with the token) to this file once it listens, for a browser launcher (the .deb's idkiosk-browser). */
  urlFile?: string;
  /** Electron full screen and locked. */
  kioskMode: boolean;
  /** Start with the operating system session (Electron). */
  autoStart: boolean;
  once: boolean;
  json: boolean;
  /** The local identity service for the counter's own software (off unless given, or as Settings say): port, and address + TLS files beyond 127.0.0.1 (docs/integration.md). */
  api?: { port: number; host?: string; cert?: string; key?: string };
}

const OPTIONS = {
  demo: { type: 'boolean' },
  headless: { type: 'boolean' },
  port: { type: 'string' },
  'url-file': { type: 'string' },
  card: { type: 'string' },
  trust: { type: 'string' },
  reader: { type: 'string' },
  'data-dir': { type: 'string' },
  sync: { type: 'string' },
  'sync-token': { type: 'string' },
  profile: { type: 'string' },
  kiosk: { type: 'boolean' },
  'auto-start': { type: 'boolean' },
  'auto-key': { type: 'boolean' },
  'manual-key': { type: 'boolean' },
  once: { type: 'boolean' },
  json: { type: 'boolean' },
  'no-face': { type: 'boolean' },
  'qr-serial': { type: 'string' },
  'qr-baud': { type: 'string' },
  'api-port': { type: 'string' },
  'api-host': { type: 'string' },
  'api-cert': { type: 'string' },
  'api-key': { type: 'string' },
} as const;

/** The demo's own test trust store: with it the demo card shows what a genuine card looks like. */
function demoTrust(): string {
  return join(packageRoot(), 'drivers/emulator/demo/pki');
}

/** `--api-port N [--api-host ADDR --api-cert FILE --api-key FILE]`: the local identity service. */
function apiOption(v: { 'api-port'?: string; 'api-host'?: string; 'api-cert'?: string; 'api-key'?: string }): StartOptions['api'] {
  if (v['api-port'] === undefined) {
    if (v['api-host'] ?? v['api-cert'] ?? v['api-key']) throw usageError('--api-host, --api-cert and --api-key go with --api-port N', '--api-host, --api-cert, --api-key chỉ dùng cùng --api-port N');
    return undefined;
  }
  const port = Number(v['api-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--api-port takes a number 0..65535', '--api-port cần một số 0..65535');
  if ((v['api-cert'] === undefined) !== (v['api-key'] === undefined)) throw usageError('--api-cert and --api-key go together', '--api-cert và --api-key phải đi cùng nhau');
  return { port, host: v['api-host'], cert: v['api-cert'], key: v['api-key'] };
}

/**
 * Parses the options of `start` (entry.demo false) or `demo` (true). Bad values are
 * BAD_ARGUMENTS with a vi/en message; unknown options are refused (ERR_PARSE_ARGS_*).
 */
export function parseStartOptions(argv: string[], entry: { demo: boolean }): StartOptions {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const demo = entry.demo || Boolean(values.demo);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port takes a number 0..65535', '--port cần một số 0..65535');
  if (values.profile !== undefined && !(PROFILES as readonly string[]).includes(values.profile)) {
    throw usageError(`--profile is one of ${PROFILES.join(', ')}`, `--profile là một trong ${PROFILES.join(', ')}`);
  }
  const qrBaud = values['qr-baud'] === undefined ? undefined : Number(values['qr-baud']);
  if (qrBaud !== undefined && (!Number.isInteger(qrBaud) || qrBaud < 1200 || qrBaud > 4_000_000)) {
    throw usageError('--qr-baud takes a baud rate such as 9600 or 115200', '--qr-baud cần tốc độ baud, ví dụ 9600 hoặc 115200');
  }
  if (qrBaud !== undefined && values['qr-serial'] === undefined) throw usageError('--qr-baud needs --qr-serial PATH', '--qr-baud cần --qr-serial CỔNG');
  if (values.once && !demo && !values.card) throw usageError('--once needs a card: use demo --once or --card DIR', '--once cần thẻ: dùng demo --once hoặc --card THƯ-MỤC');
  if (values.reader !== undefined && (demo || values.card !== undefined)) {
    throw usageError('--reader is for live mode: it cannot go with demo or --card', '--reader chỉ dùng cho đầu đọc thật: không đi cùng demo hay --card');
  }
  const api = apiOption(values);
  if (values['auto-key'] && values['manual-key']) throw usageError('--auto-key and --manual-key exclude each other', '--auto-key và --manual-key không đi cùng nhau');
  return {
    card: values.card ?? (demo ? demoCard('cccd') : undefined),
    // The demo trusts its own test CSCA, so it shows what a genuine card looks like; a live
    // station its configured folder ($IDKIOSK_TRUST_DIR, set by the .deb's /etc/default/idkiosk).
    trust: values.trust ?? (demo && !values.card ? demoTrust() : demo || values.card ? undefined : process.env.IDKIOSK_TRUST_DIR || undefined),
    reader: values.reader,
    dataDir: values['data-dir'],
    sync: values.sync,
    syncToken: values['sync-token'],
    // A demo opens its own card by itself unless asked to show the prompt; a real card folder (--card) asks.
    autoKey: values['manual-key'] ? false : Boolean(values['auto-key'] || demo || values.once),
    profile: values.profile as Profile | undefined,
    face: !values['no-face'] && !values.once,
    qrSerial: values['qr-serial'],
    qrBaud,
    demo: demo || values.card !== undefined,
    headless: Boolean(values.headless || values.once),
    port,
    urlFile: values['url-file'],
    kioskMode: Boolean(values.kiosk),
    autoStart: Boolean(values['auto-start']),
    once: Boolean(values.once),
    json: Boolean(values.json),
    ...(api ? { api } : {}),
  };
}

/** The part of the options that `kioskFor` takes, the same object on every path. */
export function kioskLaunch(o: StartOptions): KioskLaunchOptions {
  return {
    card: o.card,
    trust: o.trust,
    reader: o.reader,
    dataDir: o.dataDir,
    sync: o.sync,
    syncToken: o.syncToken,
    autoKey: o.autoKey,
    profile: o.profile,
    face: o.face,
    qrSerial: o.qrSerial,
    qrBaud: o.qrBaud,
  };
}

/**
 * Parsed options as an argv that parses back to the same options (`start` entry): every
 * default already resolved and written out, so the Electron process cannot resolve one
 * differently. `--once`/`--json` never reach Electron (they are headless).
 */
export function startArgv(o: StartOptions): string[] {
  const a: string[] = [];
  const opt = (name: string, v: string | number | undefined): void => {
    if (v !== undefined) a.push(`--${name}`, String(v));
  };
  const flag = (name: string, on: boolean): void => {
    if (on) a.push(`--${name}`);
  };
  flag('demo', o.demo);
  opt('card', o.card);
  opt('trust', o.trust);
  opt('reader', o.reader);
  opt('data-dir', o.dataDir);
  opt('sync', o.sync);
  opt('sync-token', o.syncToken);
  a.push(o.autoKey ? '--auto-key' : '--manual-key');
  opt('profile', o.profile);
  flag('no-face', !o.face && !o.once);
  opt('qr-serial', o.qrSerial);
  opt('qr-baud', o.qrBaud);
  flag('headless', o.headless && !o.once);
  if (o.port !== 0) opt('port', o.port);
  opt('url-file', o.urlFile);
  flag('kiosk', o.kioskMode);
  flag('auto-start', o.autoStart);
  flag('once', o.once);
  flag('json', o.json);
  if (o.api) {
    opt('api-port', o.api.port);
    opt('api-host', o.api.host);
    opt('api-cert', o.api.cert);
    opt('api-key', o.api.key);
  }
  return a;
}
