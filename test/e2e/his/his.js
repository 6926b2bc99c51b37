/* global URLSearchParams, location, document, fetch, atob, crypto, TextEncoder -- a browser page */
// The sample HIS page: what a hospital's web app does with the kiosk's local service.
// Configuration (service address and the token from `idkiosk api pair`) comes in the URL
// fragment here; a real HIS keeps it in its own settings.
const cfg = new URLSearchParams(location.hash.slice(1));
const svc = cfg.get('svc');
const headers = { authorization: `Bearer ${cfg.get('t')}` };
const $ = (id) => document.getElementById(id);

async function api(path, init = {}) {
  const res = await fetch(svc + path, { ...init, headers: { ...headers, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.messages.vi}` : `HTTP ${res.status}`);
  return body;
}

const b64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** The receipt checked in the browser (WebCrypto Ed25519) with the key the kiosk publishes. */
async function checkReceipt(jws) {
  const { jwk } = await api('/v1/device');
  const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
  const [h, p, s] = jws.split('.');
  return crypto.subtle.verify({ name: 'Ed25519' }, key, b64u(s), new TextEncoder().encode(`${h}.${p}`));
}

$('read').addEventListener('click', async () => {
  $('error').textContent = '';
  try {
    let read = await api('/v1/reads', { method: 'POST', body: JSON.stringify({ face: false }) });
    $('status').textContent = 'Mời đặt thẻ lên đầu đọc';
    while (!['done', 'failed', 'cancelled'].includes(read.status)) {
      read = await api(`/v1/reads/${read.id}?wait=20`);
      $('status').textContent = read.status;
    }
    if (read.status !== 'done') throw new Error(`${read.error?.code}: ${read.error?.messages.vi}`);
    const r = read.result;
    $('name').textContent = r.vn.fullName;
    $('idNumber').textContent = r.vn.idNumber;
    $('dob').textContent = r.vn.dateOfBirth;
    $('residence').textContent = r.vn.placeOfResidence;
    $('level').textContent = r.level;
    $('decision').textContent = r.decision;
    $('receipt').textContent = r.receipt;
    $('receiptCheck').textContent = (await checkReceipt(r.receipt)) ? 'hợp lệ' : 'KHÔNG hợp lệ';
    $('fhir').textContent = JSON.stringify(await api(`/v1/reads/${read.id}?format=fhir`), null, 2);
    $('status').textContent = 'Xong';
  } catch (e) {
    $('error').textContent = String(e.message || e);
    $('status').textContent = 'Lỗi';
  }
});
