// One of several processes opening the same (fresh) store at once, for the concurrency test:
// records `count` verifications and prints "rec <seq> <id>" as each is recorded (that is when
// the clerk would be told it was saved), or "refused <CODE>" when the store says no.
// argv: distDir dataDir count lockWaitMs
import { writeSync } from 'node:fs';
import { join } from 'node:path';

const [dist, dataDir, countText, waitText] = process.argv.slice(2);
const { openLocalStore } = await import(join(dist, 'offline-cache/store.js'));
const { recordVerification } = await import(join(dist, 'offline-cache/outbox.js'));
const { syntheticVerification } = await import(join(dist, 'main/bench/synthetic.js'));

let store;
try {
  store = openLocalStore({ dataDir, diskReserveBytes: 0, lockWaitMs: Number(waitText) });
} catch (e) {
  writeSync(1, `refused ${e?.code ?? 'UNKNOWN'} ${e?.message ?? e}\n`);
  process.exit(0);
}
try {
  for (let i = 0; i < Number(countText); i++) {
    const r = recordVerification(store, syntheticVerification(process.pid * 10 + i, 3));
    writeSync(1, `rec ${r.seq} ${r.id} ${store.keys.deviceId}\n`);
  }
} finally {
  store.close();
}
writeSync(1, 'done\n');
