#!/usr/bin/env node
// The `idkiosk` command line (DESIGN.md). Each command lives in main/commands/ and is a
// thin adapter: parse arguments, call the layer that does the work, print the result.
import { type Lang, isIdkError, usageError } from '../core/errors.js';
import { apiClientsCommand, apiPairCommand, apiRevokeCommand } from './commands/api.js';
import { benchCommand } from './commands/bench.js';
import { cardBuildCommand } from './commands/card-build.js';
import type { Command } from './commands/command.js';
import { doctorCommand } from './commands/doctor.js';
import { emulateCommand } from './commands/emulate.js';
import { fingerprintCommand } from './commands/fingerprint.js';
import { qrCommand } from './commands/qr.js';
import { queueCommand } from './commands/queue.js';
import { syncServerCommand } from './commands/sync-server.js';
import { serverKeysCommand } from './commands/server-keys.js';
import { fleetCommand } from './commands/fleet.js';
import { readCommand } from './commands/read.js';
import { readersCommand } from './commands/readers.js';
import { kioskDemoCommand, kioskStartCommand } from './commands/start.js';

const COMMANDS: Command[] = [kioskStartCommand, kioskDemoCommand, readersCommand, readCommand, cardBuildCommand, emulateCommand, qrCommand, queueCommand, serverKeysCommand, syncServerCommand, fleetCommand, fingerprintCommand, doctorCommand, apiPairCommand, apiClientsCommand, apiRevokeCommand, benchCommand];

const lang: Lang = (process.env.IDKIOSK_LANG ?? 'vi').startsWith('en') ? 'en' : 'vi';

function help(): string {
  const lines = COMMANDS.map((c) => `  idkiosk ${c.usage}`);
  return `idkiosk — đọc và xác thực chip CCCD / hộ chiếu (reads and verifies chip ID cards)\n\n${lines.join('\n')}\n\nIDKIOSK_LANG=en: English messages.\n`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0]!)) {
    process.stdout.write(help());
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name.every((w, i) => argv[i] === w));
  if (!cmd) {
    throw usageError(`unknown command "${argv.join(' ')}"; see idkiosk --help`, `lệnh không hợp lệ "${argv.join(' ')}"; xem idkiosk --help`);
  }
  return cmd.run(argv.slice(cmd.name.length), { lang });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isIdkError(e)) {
      process.stderr.write(`idkiosk: ${e.text(lang)} [${e.code}]\n`);
      process.exit(2);
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`idkiosk: ${e.message} (idkiosk --help) [BAD_ARGUMENTS]\n`);
      process.exit(2);
    }
    // One line for the user; the stack only when asked for (IDKIOSK_DEBUG=1).
    const detail = process.env.IDKIOSK_DEBUG ? ((e as Error)?.stack ?? String(e)) : ((e as Error)?.message ?? String(e));
    process.stderr.write(`idkiosk: ${lang === 'vi' ? 'lỗi không mong đợi' : 'unexpected error'}: ${detail}\n`);
    process.exit(1);
  },
);
