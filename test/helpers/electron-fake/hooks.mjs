// Module resolution hooks (node:module register): `electron` is the fake; the kiosk module,
// when main.js imports it, is the spy in front of the real one.
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: new URL('./electron.mjs', import.meta.url).href, shortCircuit: true };
  const r = await next(specifier, context);
  if (r.url.endsWith('/main/kiosk/kiosk.js') && context.parentURL?.endsWith('/main/electron/main.js')) {
    const spy = new URL('./kiosk-spy.mjs', import.meta.url);
    spy.searchParams.set('real', r.url);
    return { url: spy.href, shortCircuit: true };
  }
  return r;
}
