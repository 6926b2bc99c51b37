// Stands in front of the real main/kiosk/kiosk.js for main.js only: reports what kioskFor
// received (functions by name, the rest as JSON), then calls the real one.
import { report } from './electron.mjs';

const real = await import(new URL(import.meta.url).searchParams.get('real'));

function plain(v) {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'function' ? `[function ${x.name || 'anonymous'}]` : x)));
}

export async function kioskFor(o) {
  report({ kioskFor: plain(o) });
  return real.kioskFor(o);
}
