// `idkiosk api pair|clients|revoke`: the programs allowed to call the local identity
// service (docs/integration.md). The token is printed once, here, and only its hash is kept.
import { parseArgs } from 'node:util';
import { usageError } from '../../core/errors.js';
import { ClientRegistry } from '../api/clients.js';
import { defaultDataDir } from '../paths.js';
import type { Command } from './command.js';

export const apiPairCommand: Command = {
  name: ['api', 'pair'],
  usage: 'api pair --name NAME [--origin URL]... [--data-dir DIR] [--json]',
  async run(argv, { lang }) {
    const { values } = parseArgs({ args: argv, options: { name: { type: 'string' }, origin: { type: 'string', multiple: true }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    if (!values.name) throw usageError('api pair needs --name NAME (e.g. --name HIS)', 'api pair cần --name TÊN (ví dụ --name HIS)');
    const { client, token } = new ClientRegistry(defaultDataDir(values['data-dir'])).pair(values.name, values.origin ?? []);
    if (values.json) {
      process.stdout.write(JSON.stringify({ name: client.name, origins: client.origins, token }) + '\n');
      return 0;
    }
    const origins = client.origins.length > 0 ? client.origins.join(', ') : lang === 'vi' ? '(không có: chỉ chương trình trên máy, không phải trang web)' : '(none: programs on this machine only, no web page)';
    process.stdout.write(
      lang === 'vi'
        ? `Đã ghép nối "${client.name}". Nguồn trang web được phép: ${origins}\nMã truy cập (chỉ hiện MỘT lần, hãy lưu vào phần mềm kia ngay):\n${token}\n`
        : `Paired "${client.name}". Web origins allowed: ${origins}\nToken (shown ONCE: store it in the other program now):\n${token}\n`,
    );
    return 0;
  },
};

export const apiClientsCommand: Command = {
  name: ['api', 'clients'],
  usage: 'api clients [--data-dir DIR] [--json]',
  async run(argv, { lang }) {
    const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    // Hashes stay in the file: a listing never shows anything that could be used to call.
    const clients = new ClientRegistry(defaultDataDir(values['data-dir'])).list().map(({ tokenSha256: _h, ...c }) => c);
    if (values.json) {
      process.stdout.write(JSON.stringify(clients, null, 2) + '\n');
      return 0;
    }
    if (clients.length === 0) process.stdout.write(lang === 'vi' ? 'Chưa ghép nối ứng dụng nào.\n' : 'No client is paired.\n');
    for (const c of clients) {
      const state = c.revokedAt ? (lang === 'vi' ? `đã thu hồi ${c.revokedAt}` : `revoked ${c.revokedAt}`) : lang === 'vi' ? 'đang dùng' : 'active';
      process.stdout.write(`${c.name}\t${state}\t${c.pairedAt}\t${c.origins.join(' ') || '-'}\n`);
    }
    return 0;
  },
};

export const apiRevokeCommand: Command = {
  name: ['api', 'revoke'],
  usage: 'api revoke NAME [--data-dir DIR]',
  async run(argv, { lang }) {
    const { values, positionals } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw usageError('api revoke takes one client name', 'api revoke cần đúng một tên ứng dụng');
    const c = new ClientRegistry(defaultDataDir(values['data-dir'])).revoke(positionals[0]!);
    process.stdout.write(lang === 'vi' ? `Đã thu hồi "${c.name}": mã của nó không còn dùng được.\n` : `Revoked "${c.name}": its token no longer works.\n`);
    return 0;
  },
};
