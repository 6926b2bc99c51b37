// A software card on vpcd's socket, served from its own thread (worker_threads) so that it
// answers while the test's thread sits in a synchronous PC/SC call, as a real card in a
// real reader would. Runs the built chip (dist/, made by `npm run build`, as npm test does).
//
// vpcd's protocol: each message is a 2-byte big-endian length and a payload; a 1-byte
// payload is a control code (0 power off, 1 power on, 2 reset, 4 send ATR), longer is an APDU.
// Messages from the test: insert, eject, removeAfter(n), fault(mode), stats.
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { loadCardFolder } = await import(new URL('../../dist/drivers/emulator/card-folder.js', import.meta.url).href);
const { SoftwareChip } = await import(new URL('../../dist/drivers/emulator/chip.js', import.meta.url).href);

const ATR = Buffer.from([0x3b, 0x80, 0x80, 0x01, 0x01]);
const chip = new SoftwareChip(await loadCardFolder(workerData.dir));
let socket;
let buffer = Buffer.alloc(0);
/** Fault injection: { kind: 'slow', ms } | { kind: 'silent' } | { kind: 'garbage', from } | { kind: 'badmac', from } | undefined */
let fault;
let served = 0;

const frame = (p) => {
  const b = Buffer.alloc(2 + p.length);
  b.writeUInt16BE(p.length, 0);
  Buffer.from(p.buffer, p.byteOffset, p.length).copy(b, 2);
  return b;
};

function answer(s, apdu) {
  let out;
  try {
    out = chip.process(new Uint8Array(apdu));
  } catch (e) {
    if (e && e.code === 'CARD_REMOVED') {
      // The chip left the field: to pcscd that is a removal, so the link closes.
      eject();
      return;
    }
    throw e;
  }
  const n = served++;
  if (fault?.kind === 'silent' && n >= fault.from) return;
  if (fault?.kind === 'garbage' && n >= fault.from) out = Uint8Array.from({ length: 7 }, (_, i) => (i * 37 + n) & 0xff);
  if (fault?.kind === 'badmac' && n >= fault.from && out.length > 12) {
    out = Uint8Array.from(out);
    // The MAC (DO 8E) sits just before the status word in a protected answer.
    out[out.length - 3] ^= 0x5a;
  }
  if (fault?.kind === 'slow' && n >= fault.from) setTimeout(() => s.write(frame(out)), fault.ms);
  else s.write(frame(out));
}

function onData(s, d) {
  buffer = Buffer.concat([buffer, d]);
  while (buffer.length >= 2) {
    const n = buffer.readUInt16BE(0);
    if (buffer.length < 2 + n) return;
    const msg = buffer.subarray(2, 2 + n);
    buffer = buffer.subarray(2 + n);
    if (msg.length === 1) {
      if (msg[0] === 4) s.write(frame(ATR));
      else if (msg[0] === 1 || msg[0] === 2) chip.reset();
      continue;
    }
    answer(s, Buffer.from(msg));
  }
}

function insert() {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: workerData.port });
    s.setNoDelay(true);
    s.once('connect', () => {
      socket = s;
      buffer = Buffer.alloc(0);
      chip.place();
      resolve();
    });
    s.once('error', (e) => (socket === s ? undefined : reject(e)));
    s.on('data', (d) => onData(s, d));
    s.on('close', () => {
      if (socket === s) socket = undefined;
    });
  });
}

function eject() {
  socket?.destroy();
  socket = undefined;
}

parentPort.on('message', async (m) => {
  try {
    if (m.op === 'insert') await insert();
    else if (m.op === 'eject') eject();
    else if (m.op === 'removeAfter') chip.removeAfterApdus(m.n);
    else if (m.op === 'fault') {
      fault = m.fault;
      served = 0;
    } else if (m.op === 'stop') eject();
    parentPort.postMessage({ id: m.id, ok: true, apdus: chip.apdus, inserted: socket !== undefined });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String(e?.message ?? e) });
  }
});
parentPort.postMessage({ ready: true });
