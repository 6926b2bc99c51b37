// Sends the local service's audit lines (offline-cache/audit.ts) to the ingest server the
// store is enrolled with: POST /v1/audit, signed like every device request, {lines: [{line, sig}]}. Lines are
// independent and the server stores each id once, so a resend after a lost answer is
// harmless; a line is marked delivered only when the server's answer names it.
import { type ErrorCode, isErrorCode } from '../../core/error-codes.js';
import { IdkError } from '../../core/errors.js';
import { auditDelivered, pendingAudit } from '../audit.js';
import { type LocalStore, getMeta } from '../store.js';
import { httpExchange } from './http.js';
import { deviceRequestHeaders } from './client.js';

const AUDIT_BATCH = 500;

/** Sends every pending audit line, in batches; returns how many the server now holds. Not enrolled: nothing to do. */
export async function sendAudit(store: LocalStore, o: { timeoutMs?: number } = {}): Promise<{ sent: number }> {
  const server = getMeta(store, 'server_url');
  if (!server) return { sent: 0 };
  let sent = 0;
  for (;;) {
    const lines = pendingAudit(store, AUDIT_BATCH);
    if (lines.length === 0) return { sent };
    const body = new TextEncoder().encode(JSON.stringify({ lines: lines.map(({ line, sig }) => ({ line, sig })) }));
    const r = await httpExchange(new URL('/v1/audit', server).toString(), { method: 'POST', headers: { 'content-type': 'application/json', ...deviceRequestHeaders(store, 'POST', '/v1/audit', body) }, body, timeoutMs: o.timeoutMs ?? 30_000 });
    let reply: { ids?: unknown; code?: unknown; message?: unknown };
    try {
      reply = JSON.parse(r.text) as typeof reply;
    } catch {
      reply = {};
    }
    if (r.status !== 200 || !Array.isArray(reply.ids)) {
      const code: ErrorCode = typeof reply.code === 'string' && isErrorCode(reply.code) ? reply.code : `HTTP_${r.status}`;
      throw new IdkError(code, {
        vi: `Máy chủ không nhận nhật ký truy cập dịch vụ: ${String(reply.message ?? r.status)}`,
        en: `The server did not take the service's audit lines: ${String(reply.message ?? r.status)}`,
      });
    }
    const held = new Set(reply.ids as string[]);
    const ids = lines.map((l) => l.id).filter((id) => held.has(id));
    auditDelivered(store, ids);
    sent += ids.length;
    // The server named fewer than were sent: stop rather than loop on the same lines.
    if (ids.length < lines.length) return { sent };
  }
}
