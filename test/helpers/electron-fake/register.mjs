// `node --import …/register.mjs dist/main/electron/main.js …`: runs the real Electron entry
// under plain Node, with `electron` resolved to the fake in ./electron.mjs and main.js's
// kioskFor wrapped so the test sees exactly what it received (./kiosk-spy.mjs).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
