// What the operator reaches, all behind the operator token (separate from any enrolment
// token): /stats, the fleet view (/v1/fleet as JSON, /fleet as a page), enrolment tokens
// per site, device revocation, quarantined batches, the audit trail and a retention run.
// Without the token every one of them answers 401 and says nothing else.
//
// The page cannot send a bearer header, so /fleet/login trades the token for a session
// cookie: HMAC-SHA256 under the token of "fleet-session" and an expiry. Nothing is kept on
// the server, so any node of a fleet sharing the token accepts it, and changing the token
// ends every session.
//
// Every request that passes the token is written to the append-only audit table, reads
// included: the operator's actor is "operator@<address>", with the name the client gives
// in X-Idk-Operator when there is one.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type Replier, readBody, requireMediaType, type BodyRules } from './server-http.js';
import { type FleetView, fleetPage, loginPage } from './fleet-page.js';
import type { ServerStore } from './server-store.js';

interface OperatorOptions {
  store: ServerStore;
  operatorToken: string;
  now: () => number;
  replier: Replier;
  bodyRules: BodyRules;
  /** Time zone of the fleet view's days (minutes east of UTC; Việt Nam 420). */
  utcOffsetMinutes: number;
  /** Days of the per-day chart. */
  chartDays: number;
  /** Runs the retention policy now; returns how many subjects were purged. */
  purge: () => Promise<number>;
}

const SESSION_COOKIE = 'idk_fleet';
const SESSION_MS = 8 * 3600_000;


function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookies(req: IncomingMessage): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return m;
}

export function hashEnrolToken(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`idkiosk-enrol-token|${token}`).digest());
}

export function operatorRoutes(o: OperatorOptions) {
  const { send } = o.replier;
  const session = (expires: number): string => `${expires}.${createHmac('sha256', o.operatorToken).update(`fleet-session|${expires}`).digest('base64url')}`;
  const sessionValid = (v: string | undefined): boolean => {
    const m = v ? /^(\d{1,15})\.([\w-]{43})$/.exec(v) : null;
    return !!m && Number(m[1]) > o.now() && same(session(Number(m[1])), v!);
  };
  const bearerValid = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization;
    return !!h?.startsWith('Bearer ') && same(h.slice(7), o.operatorToken);
  };
  const actor = (req: IncomingMessage): string => {
    const name = req.headers['x-idk-operator'];
    const who = typeof name === 'string' && /^[\p{L}\p{N} ._@-]{1,64}$/u.test(name) ? `${name}@` : 'operator@';
    return `${who}${req.socket.remoteAddress ?? '?'}`;
  };
  const audit = (req: IncomingMessage, action: string, target = '', detail = ''): Promise<void> => o.store.audit({ at: o.now(), actor: actor(req), action, target, detail });

  async function view(days = o.chartDays): Promise<FleetView> {
    const now = o.now();
    const f = await o.store.fleet({ utcOffsetMinutes: o.utcOffsetMinutes, days, now });
    return {
      serverTime: now,
      utcOffsetMinutes: o.utcOffsetMinutes,
      days,
      ...f,
      totals: {
        devices: f.devices.length,
        revoked: f.devices.filter((d) => d.revokedAt !== null).length,
        events: f.devices.reduce((n, d) => n + d.events, 0),
        invalid: f.perSite.reduce((n, s) => n + s.invalid, 0),
        pending: f.devices.reduce((n, d) => n + (d.pending ?? 0), 0),
      },
    };
  }

  async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    requireMediaType(req, 'application/json');
    const b = await readBody(req, o.bodyRules);
    try {
      const v = JSON.parse(b.bytes.toString('utf8')) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object');
  }

  /** Routes the operator's requests; returns false for a path that is not the operator's. */
  return async function route(req: IncomingMessage, res: ServerResponse, method: string, path: string, url: URL): Promise<boolean> {
    const lang = url.searchParams.get('lang') === 'en' ? 'en' : 'vi';
    // The page and its login work with the session cookie.
    if (path === '/fleet' && method === 'GET') {
      if (!sessionValid(cookies(req).get(SESSION_COOKIE)) && !bearerValid(req)) {
        htmlReply(res, 401, loginPage(lang, false));
        return true;
      }
      await audit(req, 'fleet.view', '', 'page');
      htmlReply(res, 200, fleetPage(await view(), lang));
      return true;
    }
    if (path === '/fleet/login' && method === 'POST') {
      requireMediaType(req, 'application/x-www-form-urlencoded');
      const form = new URLSearchParams((await readBody(req, o.bodyRules)).bytes.toString('utf8'));
      const given = form.get('token') ?? '';
      const nextLang = form.get('lang') === 'en' ? 'en' : 'vi';
      if (!same(given, o.operatorToken)) {
        htmlReply(res, 401, loginPage(nextLang, true));
        return true;
      }
      await audit(req, 'fleet.login');
      const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
      res.writeHead(303, {
        location: `/fleet${nextLang === 'en' ? '?lang=en' : ''}`,
        'set-cookie': `${SESSION_COOKIE}=${session(o.now() + SESSION_MS)}; HttpOnly; SameSite=Strict; Path=/fleet; Max-Age=${SESSION_MS / 1000}${secure}`,
        'cache-control': 'no-store',
        'content-length': 0,
      });
      res.end();
      return true;
    }
    if (path === '/fleet/logout' && method === 'POST') {
      res.writeHead(303, { location: '/fleet', 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/fleet; Max-Age=0`, 'content-length': 0 });
      res.end();
      return true;
    }

    const isOperatorPath = path === '/stats' || path === '/v1/fleet' || path.startsWith('/v1/admin/');
    if (!isOperatorPath) return false;
    if (!bearerValid(req)) throw new HttpError(401, 'BAD_TOKEN', 'this needs the operator token', true);

    if (method === 'GET' && path === '/stats') {
      await audit(req, 'stats.view');
      send(res, 200, { ...(await o.store.stats()), serverTime: o.now() });
      return true;
    }
    if (method === 'GET' && path === '/v1/fleet') {
      const days = Number(url.searchParams.get('days') ?? o.chartDays);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new HttpError(400, 'BAD_REQUEST', 'days must be 1-366');
      await audit(req, 'fleet.view', '', 'json');
      send(res, 200, await view(days));
      return true;
    }
    if (path === '/v1/admin/enrol-tokens' && method === 'POST') {
      const b = await jsonBody(req);
      const site = typeof b.site === 'string' ? b.site.normalize('NFC').trim() : '';
      const days = b.days === undefined ? 7 : Number(b.days);
      if (site.length === 0 || site.length > 200 || !Number.isFinite(days) || days <= 0 || days > 3650) {
        throw new HttpError(400, 'BAD_REQUEST', 'an enrolment token needs a site (1-200 characters) and days (0-3650, default 7)');
      }
      const token = `idk-enrol-${randomBytes(24).toString('base64url')}`;
      const tokenId = `t-${randomBytes(5).toString('hex')}`;
      const createdAt = o.now();
      const expiresAt = createdAt + Math.round(days * 86_400_000);
      await o.store.addEnrolToken({ tokenId, hash: hashEnrolToken(token), site, createdAt, expiresAt });
      await audit(req, 'enrol-token.create', tokenId, `site ${site}, expires ${new Date(expiresAt).toISOString()}`);
      // The token itself is shown once, here; the database keeps only its hash.
      send(res, 201, { tokenId, token, site, createdAt, expiresAt });
      return true;
    }
    if (path === '/v1/admin/enrol-tokens' && method === 'GET') {
      await audit(req, 'enrol-token.list');
      send(res, 200, { tokens: await o.store.enrolTokens(), serverTime: o.now() });
      return true;
    }
    const tokenRevoke = /^\/v1\/admin\/enrol-tokens\/(t-[0-9a-f]{10})\/revoke$/.exec(path);
    if (tokenRevoke && method === 'POST') {
      const ok = await o.store.revokeEnrolToken(tokenRevoke[1]!, o.now());
      if (!ok) throw new HttpError(404, 'NOT_FOUND', `no live enrolment token ${tokenRevoke[1]}`);
      await audit(req, 'enrol-token.revoke', tokenRevoke[1]!);
      send(res, 200, { tokenId: tokenRevoke[1], revoked: true, serverTime: o.now() });
      return true;
    }
    const devRevoke = /^\/v1\/admin\/devices\/([\w-]{1,64})\/revoke$/.exec(path);
    if (devRevoke && method === 'POST') {
      const b = await jsonBody(req);
      const reason = typeof b.reason === 'string' && b.reason.trim().length > 0 ? b.reason.trim().slice(0, 500) : '';
      if (!reason) throw new HttpError(400, 'BAD_REQUEST', 'revoking a device needs a reason');
      const ok = await o.store.revokeDevice(devRevoke[1]!, o.now(), reason);
      if (!ok) throw new HttpError(404, 'NOT_FOUND', `no device ${devRevoke[1]} that is not already revoked`);
      await audit(req, 'device.revoke', devRevoke[1]!, reason);
      send(res, 200, { deviceId: devRevoke[1], revoked: true, serverTime: o.now() });
      return true;
    }
    if (path === '/v1/admin/quarantine' && method === 'GET') {
      const device = url.searchParams.get('device') ?? undefined;
      await audit(req, 'quarantine.list', device ?? '');
      send(res, 200, { batches: await o.store.quarantined(device), serverTime: o.now() });
      return true;
    }
    if (path === '/v1/admin/audit' && method === 'GET') {
      const limit = Math.min(10_000, Math.max(1, Number(url.searchParams.get('limit') ?? 200) || 200));
      await audit(req, 'audit.view');
      send(res, 200, { entries: await o.store.auditLog(limit), serverTime: o.now() });
      return true;
    }
    if (path === '/v1/admin/purge' && method === 'POST') {
      const purged = await o.purge();
      await audit(req, 'retention.purge', '', `${purged} subjects purged`);
      send(res, 200, { purged, serverTime: o.now() });
      return true;
    }
    throw new HttpError(404, 'NOT_FOUND', `${method} ${path}`);
  };
}

function htmlReply(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // No script at all: the page is rendered on the server.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

