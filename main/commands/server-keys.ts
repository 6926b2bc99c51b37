// `idkiosk sync-server keys list|rotate [--db …] [--data-dir DIR] [--master-key-file F] [--json]`:
// the server's key sets, held in its database under the operator's master key. Rotating
// adds a set that new records and new enrolments use; records sealed before stay readable.
// Every rotation is written to the audit table.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { b64 } from '../../offline-cache/canonical.js';
import { usageError } from '../../core/errors.js';
import type { Command } from './command.js';
import { openServerDatabase } from './sync-server.js';

const USAGE = 'sync-server keys list|rotate [--db PATH|postgres://…] [--data-dir DIR] [--master-key-file F] [--json]';

export const serverKeysCommand: Command = {
  name: ['sync-server', 'keys'],
  usage: USAGE,
  async run(argv, { lang }) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, 'data-dir': { type: 'string' }, 'master-key-file': { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'list' && action !== 'rotate')) throw usageError(`usage: idkiosk ${USAGE}`, `cách dùng: idkiosk ${USAGE}`);
    const { store, keys } = await openServerDatabase(values);
    try {
      if (action === 'rotate') {
        const k = await keys.rotate();
        await store.audit({ at: Date.now(), actor: `cli:${userInfo().username}`, action: 'keys.rotate', target: k.keyId, detail: `box key ${b64(k.boxPublicKey)}` });
      }
      const list = keys.all.map((k, i) => ({ keyId: k.keyId, createdAt: new Date(k.createdAt).toISOString(), boxPublicKey: b64(k.boxPublicKey), current: i === keys.all.length - 1 }));
      if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else {
        for (const k of list) process.stdout.write(`${k.current ? '*' : ' '} ${k.keyId}  ${k.createdAt}  ${k.boxPublicKey}\n`);
        process.stdout.write(lang === 'vi' ? '* bộ khóa đang dùng cho bản ghi và thiết bị đăng ký mới\n' : '* the key set new records and new enrolments use\n');
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
