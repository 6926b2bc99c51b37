// One byte-exact JSON form for everything that is hashed or signed, so the kiosk and the
// ingest server compute the same hash from the same object (keys sorted, no whitespace,
// only finite numbers).

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

export function canonical(v: Json | undefined): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('canonical JSON: non-finite number');
    return JSON.stringify(Object.is(v, -0) ? 0 : v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: unsupported ${typeof v}`);
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function unb64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError('not base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}
