// The local identity service over a real 127.0.0.1 socket, with the kiosk reading the demo
// CCCD through the software chip and recording to a real store: pairing, every refusal
// (401, 403, 421, 409, 429), a read from request to signed result, cancel, SSE, the audit
// lines, the photo policy. The same with pcscd + vpcd: test/integration/service-pcsc.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceDevice, ServiceRead, ServiceStatus } from '../../main/api/service-contract.js';
import { CLIENTS_FILE, ClientRegistry } from '../../main/api/clients.js';
import { startService } from '../../main/api/service.js';
import { verifyReceipt, personDigest } from '../../main/formats/receipt.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { demoCard } from '../../main/paths.js';
import { auditCounts, pendingAudit, verifyAuditLine } from '../../offline-cache/audit.js';
import { demoPerson, tempDir } from '../helpers/cards.js';
import { IdkError } from '../../core/errors.js';
import type { CardReader } from '../../main/verify/card-reader.js';
import { buildCccdQr } from '../../drivers/qr/cccd-qr.js';
import { failure } from '../helpers/errors.js';
import { type ServiceRig, call, serviceRig } from '../helpers/service.js';
import { validateR4 } from '../helpers/fhir.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function rig(o: Parameters<typeof serviceRig>[0] = {}): Promise<ServiceRig> {
  const r = await serviceRig(o);
  cleanup.push(r.close);
  return r;
}

const place = (r: ServiceRig, present: boolean): void => (r.reader as EmulatedReader).setPresent(present);

describe('pairing', () => {
  it('prints the token once and keeps only its hash; revoke and re-pair', () => {
    const dir = tempDir();
    const reg = new ClientRegistry(dir);
    const { token, client } = reg.pair('HIS', ['https://his.benhvien.test/app', 'https://his.benhvien.test']);
    expect(token).toMatch(/^idk_[A-Za-z0-9_-]{43}$/);
    expect(client.origins).toEqual(['https://his.benhvien.test']);
    const file = readFileSync(join(dir, CLIENTS_FILE), 'utf8');
    expect(file).not.toContain(token);
    expect(file).not.toContain(token.slice(4));
    expect(reg.authenticate(token)?.name).toBe('HIS');
    expect(reg.authenticate(token + 'x')).toBeUndefined();
    expect(() => reg.pair('HIS', [])).toThrow(expect.objectContaining({ code: 'API_CLIENT_EXISTS' }));
    reg.revoke('HIS');
    expect(reg.authenticate(token)).toBeUndefined();
    expect(() => reg.revoke('HIS')).toThrow(expect.objectContaining({ code: 'API_CLIENT_UNKNOWN' }));
    const again = reg.pair('HIS', []);
    expect(reg.authenticate(again.token)?.name).toBe('HIS');
    expect(reg.authenticate(token)).toBeUndefined();
    expect(() => reg.pair('bad/name', [])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENTS' }));
    expect(() => reg.pair('X', ['file:///etc'])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENTS' }));
  });
});

describe('the local identity service', () => {
  it('refuses to listen beyond 127.0.0.1 without TLS', async () => {
    const r = await rig();
    const e = await failure(startService(r.service, { port: 0, host: '0.0.0.0', clients: r.clients }));
    expect(e.code).toBe('API_NEEDS_TLS');
  });

  it('beyond 127.0.0.1 with TLS: the same API over https, the certificate checked by the client', async () => {
    const dir = tempDir('idk-tls-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=idkiosk-test', '-addext', 'subjectAltName=IP:127.0.0.2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    const r = await rig();
    const token = r.pair('HIS');
    const cert = readFileSync(join(dir, 'cert.pem'));
    const s = await startService(r.service, { port: 0, host: '127.0.0.2', tls: { cert, key: readFileSync(join(dir, 'key.pem')) }, clients: r.clients });
    cleanup.push(s.close);
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
    expect((await call(s.url, 'GET', '/v1/status', { token, ca: cert })).status).toBe(200);
    expect((await call(s.url, 'GET', '/v1/status', { ca: cert })).status).toBe(401);
    // Without trusting the certificate the client refuses the connection.
    await expect(call(s.url, 'GET', '/v1/status', { token })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED/) });
  });

  it('answers only a paired, unrevoked token, from its own origins, under its own host name', async () => {
    const r = await rig();
    const token = r.pair('HIS', ['http://his.benhvien.test']);
    const none = await call(r.url, 'GET', '/v1/status');
    expect(none.status).toBe(401);
    expect((none.json as { error: { code: string; messages: { vi: string; en: string } } }).error).toMatchObject({ code: 'API_UNAUTHORIZED' });
    expect((await call(r.url, 'GET', '/v1/status', { token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') })).status).toBe(401);
    const ok = await call(r.url, 'GET', '/v1/status', { token });
    expect(ok.status).toBe(200);
    const st = ok.json as ServiceStatus;
    expect(st).toMatchObject({ card: false, reader: { status: 'empty', emulated: true }, kiosk: { mode: 'demo', busy: false } });
    // A browser page from the paired origin: CORS answer. From another origin: 403, no CORS header.
    const paired = await call(r.url, 'GET', '/v1/status', { token, origin: 'http://his.benhvien.test' });
    expect(paired.status).toBe(200);
    expect(paired.headers['access-control-allow-origin']).toBe('http://his.benhvien.test');
    const foreign = await call(r.url, 'GET', '/v1/status', { token, origin: 'http://evil.test' });
    expect(foreign.status).toBe(403);
    expect((foreign.json as { error: { code: string } }).error.code).toBe('API_ORIGIN_REFUSED');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // Preflight: only an origin some client was paired with.
    const pre = await call(r.url, 'OPTIONS', '/v1/reads', { origin: 'http://his.benhvien.test', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://his.benhvien.test');
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    const preBad = await call(r.url, 'OPTIONS', '/v1/reads', { origin: 'http://evil.test', headers: { 'access-control-request-method': 'POST' } });
    expect(preBad.status).toBe(403);
    expect(preBad.headers['access-control-allow-origin']).toBeUndefined();
    // DNS rebinding: a page on another name that resolves to 127.0.0.1.
    const port = new URL(r.url).port;
    expect((await call(r.url, 'GET', '/v1/status', { token, host: `evil.test:${port}` })).status).toBe(421);
    expect((await call(r.url, 'GET', '/v1/status', { token, host: `localhost:${port}` })).status).toBe(200);
    // Revoked while the service runs (another process, `idkiosk api revoke`): refused at once.
    new ClientRegistry(r.dataDir).revoke('HIS');
    expect((await call(r.url, 'GET', '/v1/status', { token })).status).toBe(401);
    expect((await call(r.url, 'GET', '/v1/nothing', { token: r.pair('other') })).status).toBe(404);
  });

  it('reads a card from request to signed result, and the receipt binds the data', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const start = await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } });
    expect(start.status).toBe(202);
    const read = start.json as ServiceRead;
    expect(start.headers.location).toBe(`/v1/reads/${read.id}`);
    expect(read.status).toBe('waiting-card');
    place(r, true);
    const done = await r.finished(token, read.id);
    expect(done.status).toBe('done');
    const res = done.result!;
    expect(res.document).toMatchObject({ documentNumber: expect.any(String), dateOfBirth: '1990-05-17' });
    expect((res.vn as { fullName: string }).fullName).toBe('Lê Thị Mẫu');
    expect(res).toMatchObject({ decision: 'review', level: 'amber', faceCheck: { status: 'not-available' } });
    expect(res.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.photo).toBeUndefined();
    expect(res.authenticity).toMatchObject({ passive: expect.any(String), dataGroups: expect.any(Object) });
    const device = (await call(r.url, 'GET', '/v1/device', { token })).json as ServiceDevice;
    expect(device.deviceId).toBe(r.store.keys.deviceId);
    const claims = await verifyReceipt(res.receipt, device.jwk);
    expect(claims).toMatchObject({ decision: 'review', event: res.eventId, device: device.deviceId, jti: read.id, authenticity: { level: 'amber' }, face: { status: 'not-available' } });
    expect(claims.person).toBe(personDigest({ document: res.document as never, vn: res.vn as never }));
    // No personal data in clear in the receipt.
    const payload = Buffer.from(res.receipt.split('.')[1]!, 'base64url').toString('utf8');
    for (const s of ['Lê Thị Mẫu', '000190012345', '1990-05-17', 'Thử Nghiệm']) expect(payload).not.toContain(s);
    // The kiosk's screen shows the same person, confirmed and stored.
    expect(r.kiosk.state).toMatchObject({ phase: 'confirmed', result: { record: { status: 'stored', eventId: res.eventId } } });
    // Recorded as decided: a review with no staff checks claimed (only a clerk's confirm adds them).
    const body = JSON.parse((r.store.db.prepare('SELECT body FROM events WHERE id = ?').get(res.eventId) as { body: string }).body) as { result: string; staff?: unknown };
    expect(body.result).toBe('review');
    expect(body.staff).toBeUndefined();
    // Another client cannot see it; the owner can forget it.
    const other = r.pair('other');
    expect((await call(r.url, 'GET', `/v1/reads/${read.id}`, { token: other })).status).toBe(404);
    expect((await call(r.url, 'DELETE', `/v1/reads/${read.id}`, { token })).status).toBe(200);
    expect((await call(r.url, 'GET', `/v1/reads/${read.id}`, { token })).status).toBe(404);
  });

  it('two clients racing: one read, one READER_BUSY; a third call while the chip is read is busy too', async () => {
    const r = await rig({ latency: { perApduMs: 5, bitsPerSecond: 424_000 } });
    const a = r.pair('A');
    const b = r.pair('B');
    const [x, y] = await Promise.all([call(r.url, 'POST', '/v1/reads', { token: a, body: { can: '012345', face: false } }), call(r.url, 'POST', '/v1/reads', { token: b, body: { can: '012345', face: false } })]);
    expect([x.status, y.status].sort()).toEqual([202, 409]);
    const loser = x.status === 409 ? x : y;
    expect((loser.json as { error: { code: string; messages: { vi: string } } }).error).toMatchObject({ code: 'READER_BUSY', messages: { vi: expect.stringContaining('bận') } });
    const winner = x.status === 202 ? { reply: x, token: a } : { reply: y, token: b };
    place(r, true);
    // While the chip is being read (contactless speed), a third call is refused.
    await new Promise((res) => setTimeout(res, 50));
    expect((await call(r.url, 'POST', '/v1/reads', { token: a, body: {} })).status).toBe(409);
    const done = await r.finished(winner.token, (winner.reply.json as ServiceRead).id);
    expect(done.status).toBe('done');
    // Finished: the reader is free again.
    const next = await call(r.url, 'POST', '/v1/reads', { token: b, body: { can: '012345', face: false } });
    expect(next.status).toBe(202);
  });

  it('a wrong CAN fails with ACCESS_DENIED; a malformed one is 400 before anything moves', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    expect((await call(r.url, 'POST', '/v1/reads', { token, body: { can: '12' } })).status).toBe(400);
    expect(((await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', pin: 1 } })).json as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    expect((await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', mrz: 'X' } })).status).toBe(400);
    const start = await call(r.url, 'POST', '/v1/reads', { token, body: { can: '999999', face: false } });
    place(r, true);
    const done = await r.finished(token, (start.json as ServiceRead).id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'ACCESS_DENIED', messages: { vi: expect.any(String), en: expect.any(String) } } });
  });

  it('without a key the kiosk asks on its screen; the clerk types it; a timeout says NO_CARD', async () => {
    const r = await rig({ waitMs: 400 });
    const token = r.pair('HIS');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { face: false } })).json as ServiceRead;
    place(r, true);
    const waiting = (await call(r.url, 'GET', `/v1/reads/${start.id}`, { token })).json as ServiceRead;
    expect(waiting.status).toBe('need-key');
    expect(r.kiosk.state.phase).toBe('need-key');
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    expect((await r.finished(token, start.id)).status).toBe('done');
    // Nobody places a card: NO_CARD after the wait.
    place(r, false);
    const lonely = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345' } })).json as ServiceRead;
    expect(await r.finished(token, lonely.id)).toMatchObject({ status: 'failed', error: { code: 'NO_CARD' } });
    // A card, but nobody types its key at the kiosk: READ_TIMED_OUT; the kiosk is cleared (it asks afresh, the card being there) and free again.
    place(r, true);
    const keyless = (await call(r.url, 'POST', '/v1/reads', { token, body: { face: false } })).json as ServiceRead;
    expect(await r.finished(token, keyless.id)).toMatchObject({ status: 'failed', error: { code: 'READ_TIMED_OUT', messages: { vi: expect.stringContaining('CAN') } } });
    expect(r.kiosk.state.phase).toBe('need-key');
    expect((await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).status).toBe(202);
  });

  it('cancel with DELETE while waiting for the card', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345' } })).json as ServiceRead;
    const del = await call(r.url, 'DELETE', `/v1/reads/${start.id}`, { token });
    expect((del.json as ServiceRead).status).toBe('cancelled');
    place(r, true);
    // The key went with the cancelled read: the kiosk now asks for one, nothing is read behind the caller's back.
    expect(r.kiosk.state.phase).toBe('need-key');
    expect((await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).status).toBe(202);
  });

  it('a card lifted mid-read and not put back fails the read with its typed code', async () => {
    const card = await loadCardFolder(demoCard('cccd'));
    const reader = new EmulatedReader(card, { latency: { perApduMs: 5, bitsPerSecond: 106_000 } });
    const r = await rig({ reader, kiosk: { resumeWithinMs: 300 } });
    const token = r.pair('HIS');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    reader.setPresent(true);
    // Wait until the chip is being read, then pull the card.
    for (let i = 0; i < 100 && r.kiosk.state.phase !== 'reading'; i++) await new Promise((res) => setTimeout(res, 10));
    await new Promise((res) => setTimeout(res, 60));
    reader.setPresent(false);
    const done = await r.finished(token, start.id);
    expect(done.status).toBe('failed');
    expect(['CARD_REMOVED', 'NO_CARD']).toContain(done.error!.code);
  });

  it('past the rate limit: 429 with Retry-After, per client', async () => {
    const r = await rig({ rateLimit: { burst: 3, perMinute: 6 } });
    const a = r.pair('A');
    const b = r.pair('B');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await call(r.url, 'GET', '/v1/status', { token: a })).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const limited = await call(r.url, 'GET', '/v1/status', { token: a });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((limited.json as { error: { code: string } }).error.code).toBe('API_RATE_LIMITED');
    expect((await call(r.url, 'GET', '/v1/status', { token: b })).status).toBe(200);
  });

  it('the photo only when asked for and allowed', async () => {
    let allowed = false;
    const r = await rig({ photoAllowed: () => allowed });
    const token = r.pair('HIS');
    const refused = await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', photo: true } });
    expect(refused.status).toBe(403);
    expect((refused.json as { error: { code: string } }).error.code).toBe('PHOTO_NOT_ALLOWED');
    allowed = true;
    place(r, true);
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', photo: true, face: false } })).json as ServiceRead;
    const done = await r.finished(token, start.id);
    expect(done.result!.photo).toMatch(/^data:image\/(jpeg|png);base64,/);
    const plain = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    const plainDone = await r.finished(token, plain.id);
    expect(plainDone.status).toBe('done');
    expect(plainDone.result!.photo).toBeUndefined();
  });

  it('streams progress and the result as Server-Sent Events to the client that asked', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const other = r.pair('other');
    const seen: Array<{ event: string; data: ServiceRead }> = [];
    const otherSeen: string[] = [];
    const stream = (t: string, push: (event: string, data: unknown) => void): Promise<() => void> =>
      fetch(`${r.url}/v1/events`, { headers: { authorization: `Bearer ${t}` } }).then((res) => {
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const reader = res.body!.getReader();
        let buf = '';
        void (async () => {
          for (;;) {
            const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
            if (done) return;
            buf += new TextDecoder().decode(value);
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const ev = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (ev && data) push(ev, JSON.parse(data));
            }
          }
        })();
        return () => void reader.cancel();
      });
    cleanup.push(await stream(token, (event, data) => seen.push({ event, data: data as ServiceRead })));
    cleanup.push(await stream(other, (event) => otherSeen.push(event)));
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    place(r, true);
    await r.finished(token, start.id);
    await new Promise((res) => setTimeout(res, 100));
    const reads = seen.filter((s) => s.event === 'read').map((s) => s.data);
    expect(reads.map((x) => x.status)).toContain('reading');
    expect(reads.at(-1)).toMatchObject({ id: start.id, status: 'done', result: { decision: 'review' } });
    expect(seen[0]!.event).toBe('status');
    expect(otherSeen).not.toContain('read');
    expect(otherSeen).toContain('status');
  });

  it('leaves one signed audit line per call, with nothing personal in it', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const before = auditCounts(r.store).stored;
    await call(r.url, 'GET', '/v1/status');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    place(r, true);
    await r.finished(token, start.id);
    const lines = pendingAudit(r.store, 1000);
    expect(lines.length).toBeGreaterThanOrEqual(before + 3);
    const parsed = lines.map((l) => JSON.parse(l.line) as { client: string | null; what: string; status: number; code?: string });
    expect(parsed[0]).toMatchObject({ client: null, what: 'GET /v1/status', status: 401, code: 'API_UNAUTHORIZED' });
    expect(parsed[1]).toMatchObject({ client: 'HIS', what: 'POST /v1/reads', status: 202 });
    expect(parsed.some((p) => p.what === 'GET /v1/reads/:id' && p.status === 200)).toBe(true);
    for (const l of lines) {
      expect(verifyAuditLine(l, r.store.keys.signPublicKey)).toBe(true);
      for (const s of ['012345', 'Lê', '000190012345', token]) expect(l.line).not.toContain(s);
    }
    const forged = { ...lines[1]!, line: lines[1]!.line.replace('"status":202', '"status":200') };
    expect(verifyAuditLine(forged, r.store.keys.signPublicKey)).toBe(false);
  });

  it('gives a finished read as FHIR R4 and as the PDF record; the desk prints the same', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    expect(((await call(r.url, 'GET', `/v1/reads/${start.id}?format=fhir`, { token })).json as { error: { code: string } }).error.code).toBe('READ_NOT_FINISHED');
    place(r, true);
    const done = await r.finished(token, start.id);
    const fhir = await call(r.url, 'GET', `/v1/reads/${start.id}?format=fhir`, { token });
    expect(fhir.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const patient = fhir.json as { resourceType: string; identifier: Array<{ value: string }> };
    expect(patient.resourceType).toBe('Patient');
    expect(patient.identifier[0]!.value).toBe((done.result!.vn as { idNumber: string }).idNumber);
    expect(validateR4(patient).errors).toEqual([]);
    const pdf = await fetch(`${r.url}/v1/reads/${start.id}?format=pdf`, { headers: { authorization: `Bearer ${token}` } });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const file = join(tempDir(), 'r.pdf');
    writeFileSync(file, bytes);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Lê Thị Mẫu');
    expect(text).toContain(done.result!.eventId!);
    // sharePhoto is off: the only picture on the page is the receipt's QR code.
    const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2);
    expect(images.map((l) => l.trim().split(/\s+/)[3] === l.trim().split(/\s+/)[4])).toEqual(images.map(() => true));
    expect((await call(r.url, 'GET', `/v1/reads/${start.id}?format=xml`, { token })).status).toBe(400);
    // The desk's Print button: the same record for the result on screen.
    const desk = await r.kiosk.handlers.recordPdf({ id: r.kiosk.state.result!.id });
    writeFileSync(file, Buffer.from(desk.pdf, 'base64'));
    expect(execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' })).toContain('Lê Thị Mẫu');
    await expect(r.kiosk.handlers.recordPdf({ id: 'gone' })).rejects.toMatchObject({ code: 'STALE_RESULT' });
  });

  it("face: the kiosk's face step runs by default; face: false skips it and says so", async () => {
    let runs = 0;
    const r = await rig({ kiosk: { biometric: { method: 'face', verify: async () => (runs++, { method: 'face', score: 0.91, threshold: 0.5 }) } } });
    const token = r.pair('HIS');
    place(r, true);
    const withFace = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345' } })).json as ServiceRead;
    expect((await r.finished(token, withFace.id)).result!.faceCheck).toMatchObject({ status: 'matched', score: 0.91 });
    expect(runs).toBe(1);
    const without = (await call(r.url, 'POST', '/v1/reads', { token, body: { can: '012345', face: false } })).json as ServiceRead;
    const done = await r.finished(token, without.id);
    expect(done.result!.faceCheck).toMatchObject({ status: 'not-available', reason: { code: 'FACE_NOT_REQUESTED' } });
    expect(runs).toBe(1);
    // The next read started at the desk has its face step again.
    await r.kiosk.handlers.clear({});
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    await expect.poll(() => r.kiosk.state.result?.biometric.status).toBe('matched');
    expect(runs).toBe(2);
  });

  it('a QR text from the caller opens the chip like a scanned one, and the result says so', async () => {
    const r = await rig();
    const token = r.pair('HIS');
    const person = await demoPerson('cccd');
    const qr = buildCccdQr({ ...person, idNumber: person.idNumber!, placeOfResidence: person.placeOfResidence!, dateOfIssue: person.dateOfIssue! });
    expect((await call(r.url, 'POST', '/v1/reads', { token, body: { qr: 'not a cccd qr' } })).json).toMatchObject({ error: { code: 'QR_FOREIGN' } });
    const start = (await call(r.url, 'POST', '/v1/reads', { token, body: { qr, face: false } })).json as ServiceRead;
    place(r, true);
    const done = await r.finished(token, start.id);
    expect(done.status).toBe('done');
    expect(done.result!.qr).toMatchObject({ source: 'typed', opened: { kind: 'can' }, mismatches: [] });
    expect(done.result!.access).toBe('PACE-GM');
  });

  it('a read at the desk holds the reader too; no reader at all is 503 with its reason', async () => {
    const card = await loadCardFolder(demoCard('cccd'));
    const reader = new EmulatedReader(card, { latency: { perApduMs: 5, bitsPerSecond: 424_000 } });
    const r = await rig({ reader });
    const token = r.pair('HIS');
    await r.kiosk.handlers.accessKey({ kind: 'can', can: '012345' });
    reader.setPresent(true);
    expect(r.kiosk.state.phase).toBe('reading');
    const busy = await call(r.url, 'POST', '/v1/reads', { token, body: {} });
    expect(busy.status).toBe(409);
    expect((busy.json as { error: { code: string } }).error.code).toBe('READER_BUSY');

    const none: CardReader = { name: 'Nothing 00 00', emulated: false, status: () => 'no-reader', problem: new IdkError('PCSCD_NOT_RUNNING', { vi: 'Dịch vụ PC/SC (pcscd) chưa chạy.', en: 'The PC/SC service (pcscd) is not running.' }), onChange: () => () => undefined, connect: () => Promise.reject(new Error('no reader')) };
    const r2 = await rig({ reader: none });
    const t2 = r2.pair('HIS');
    const refused = await call(r2.url, 'POST', '/v1/reads', { token: t2, body: { can: '012345' } });
    expect(refused.status).toBe(503);
    expect((refused.json as { error: { code: string } }).error.code).toBe('PCSCD_NOT_RUNNING');
    expect(((await call(r2.url, 'GET', '/v1/status', { token: t2 })).json as ServiceStatus).reader.status).toBe('no-reader');
  });
});
