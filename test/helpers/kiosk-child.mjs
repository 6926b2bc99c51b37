// A kiosk in a child process for the kill -9 test: records verifications one after another
// while its sync client sends them, printing "rec <seq> <id>" the moment each is recorded
// (that is when the clerk is told it was saved). Plain JS on the built code in dist/.
// argv: distDir dataDir total seed
import { writeSync } from 'node:fs';
import { join } from 'node:path';

const [dist, dataDir, totalText, seedText] = process.argv.slice(2);
const total = Number(totalText);
const { openLocalStore } = await import(join(dist, 'offline-cache/store.js'));
const { recordVerification, queueCounts } = await import(join(dist, 'offline-cache/outbox.js'));
const { SyncClient } = await import(join(dist, 'offline-cache/sync/client.js'));
const { syntheticVerification } = await import(join(dist, 'main/bench/synthetic.js'));

const store = openLocalStore({ dataDir, diskReserveBytes: 0 });
const client = new SyncClient({ store, backoff: { baseMs: 10, capMs: 200 }, targetBatchSeconds: 0.2, initialBatchEvents: 5, maxBatchEvents: 50, minTimeoutMs: 3000 });
client.start(10);
for (let seq = queueCounts(store).head + 1; seq <= total; seq++) {
  const r = recordVerification(store, syntheticVerification(seq, Number(seedText)));
  writeSync(1, `rec ${r.seq} ${r.id}\n`);
  client.notify();
  await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 4)));
}
while (queueCounts(store).pending > 0) await new Promise((res) => setTimeout(res, 20));
await client.stop();
store.close();
writeSync(1, 'done\n');
