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

/**
 * canonical() the quick way when it can be: a value whose object keys are already in
 * sorted order (as JSON.parse gives back what canonical() wrote) canonicalises to exactly
 * JSON.stringify's output, which is native code. Anything else takes the long way.
 */
export function canonicalText(v: unknown): string {
  return inCanonicalOrder(v) ? JSON.stringify(v) : canonical(v as Json);
}

function inCanonicalOrder(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(inCanonicalOrder);
  if (typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in o) {
    // Integer-like keys would be listed first whatever their place; undefined values are dropped.
    if ((prev !== undefined && !(prev < k)) || /^\d+$/.test(k) || o[k] === undefined || !inCanonicalOrder(o[k])) return false;
    prev = k;
  }
  return true;
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function unb64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError('not base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}
