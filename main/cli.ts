#!/usr/bin/env node
// The `idkiosk` command line (DESIGN.md). Each command is a thin adapter: parse
// arguments, call the layer that does the work, print JSON or a summary for people.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Lang, isIdkError } from '../drivers/apdu/errors.js';
import type { Progress } from '../drivers/emrtd/read-file.js';
import { loadCardFolder, saveCardFolder } from '../drivers/emulator/card-folder.js';
import { type Person, buildCard } from '../drivers/emulator/card-builder.js';
import { SoftwareChip } from '../drivers/emulator/chip.js';
import { ensurePki } from '../drivers/emulator/test-pki.js';
import { VPCD_PORT, VpcdCard } from '../drivers/emulator/vpcd.js';
import { demoCard } from './paths.js';
import { type ReadArgs, runRead, usageError } from './read-command.js';
import { formatReport } from './summary.js';

const lang: Lang = (process.env.IDKIOSK_LANG ?? 'vi').startsWith('en') ? 'en' : 'vi';

const HELP = `idkiosk — đọc và xác thực chip CCCD / hộ chiếu (reads and verifies chip ID cards)

  idkiosk read --card DIR (--mrz DOC:YYMMDD:YYMMDD | --can NNNNNN) [--json] [--face-out FILE] [--bac]
  idkiosk card build --person FILE.json --pki DIR --out DIR
  idkiosk emulate --card DIR [--vpcd HOST:PORT]
  idkiosk demo                    đọc thẻ CCCD mô phỏng có sẵn (reads the built-in demo card)
  idkiosk bench [read]            benchmarks as ratios against their limits

Set IDKIOSK_LANG=en for English messages.`;

function progressPrinter(): (p: Progress & { done: number; of: number }) => void {
  let last = '';
  return (p) => {
    if (!process.stderr.isTTY) return;
    const pct = Math.floor((100 * p.read) / p.total);
    const line = `${lang === 'vi' ? 'Đang đọc' : 'Reading'} ${p.file}: ${pct}% (${p.read}/${p.total} B)`;
    if (line !== last) process.stderr.write(`\r${line}   `);
    last = line;
    if (p.read === p.total && p.done === p.of - 1) process.stderr.write('\n');
  };
}

async function cmdRead(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      card: { type: 'string' },
      reader: { type: 'string' },
      mrz: { type: 'string' },
      can: { type: 'string' },
      qr: { type: 'string' },
      trust: { type: 'string' },
      json: { type: 'boolean' },
      'face-out': { type: 'string' },
      record: { type: 'boolean' },
      bac: { type: 'boolean' },
    },
    strict: true,
  });
  const args: ReadArgs = { ...values, faceOut: values['face-out'], onProgress: values.json ? undefined : progressPrinter() };
  if (values.record) {
    throw usageError('--record comes with the local store (not in this version yet)', '--record cần kho lưu cục bộ (chưa có trong phiên bản này)');
  }
  const { report } = await runRead(args);
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, lang));
}

async function cmdCardBuild(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { person: { type: 'string' }, pki: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!values.person || !values.pki || !values.out) {
    throw usageError('card build needs --person FILE.json --pki DIR --out DIR', 'card build cần --person TỆP.json --pki THƯ-MỤC --out THƯ-MỤC');
  }
  let person: Person;
  try {
    person = JSON.parse(await readFile(values.person, 'utf8')) as Person;
  } catch (e) {
    throw usageError(`cannot read ${values.person}: ${(e as Error).message}`, `không đọc được ${values.person}: ${(e as Error).message}`);
  }
  const { signer, created } = await ensurePki(values.pki);
  if (created) process.stderr.write(`${lang === 'vi' ? 'Đã tạo PKI thử nghiệm tại' : 'Created a test PKI in'} ${values.pki}\n`);
  const card = await buildCard(person, signer);
  await saveCardFolder(values.out, card, `${person.profile}: ${person.fullName} (fictitious)`);
  process.stdout.write(`${values.out}: ${[...card.files.keys()].join(', ')}; CAN ${card.secrets.can}\n`);
}

async function cmdEmulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { card: { type: 'string' }, vpcd: { type: 'string' } }, strict: true });
  const dir = values.card ?? demoCard('cccd');
  const [host, port] = (values.vpcd ?? `127.0.0.1:${VPCD_PORT}`).split(':');
  const vcard = new VpcdCard(new SoftwareChip(await loadCardFolder(dir)), {
    host,
    port: Number(port ?? VPCD_PORT),
    log: (l) => process.stderr.write(l + '\n'),
  });
  try {
    await vcard.insert();
  } catch (e) {
    throw usageError(
      `cannot reach vpcd at ${host}:${port} (${(e as Error).message}): install Debian's pcscd and vsmartcard-vpcd and start pcscd`,
      `không kết nối được vpcd tại ${host}:${port} (${(e as Error).message}): cài gói Debian pcscd và vsmartcard-vpcd rồi chạy pcscd`,
    );
  }
  process.stderr.write(`${lang === 'vi' ? 'Thẻ mô phỏng đã cắm vào vpcd' : 'Software chip inserted into vpcd'} (${dir}); Ctrl+C ${lang === 'vi' ? 'để dừng' : 'to stop'}\n`);
  await vcard.closed();
}

async function cmdDemo(): Promise<void> {
  const dir = demoCard('cccd');
  const card = await loadCardFolder(dir);
  process.stderr.write(
    lang === 'vi'
      ? `Thẻ CCCD mô phỏng (người hư cấu), mở bằng CAN ${card.secrets.can}\n`
      : `Emulated CCCD (fictitious person), opened with CAN ${card.secrets.can}\n`,
  );
  const { report } = await runRead({ card: dir, can: card.secrets.can, onProgress: progressPrinter() });
  process.stdout.write(formatReport(report, lang));
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'read':
      await cmdRead(rest);
      return 0;
    case 'card':
      if (rest[0] !== 'build') break;
      await cmdCardBuild(rest.slice(1));
      return 0;
    case 'emulate':
      await cmdEmulate(rest);
      return 0;
    case 'demo':
      await cmdDemo();
      return 0;
    case 'start':
      process.stderr.write(
        lang === 'vi'
          ? 'Giao diện quầy (Electron / trình duyệt) chưa có trong phiên bản này; đang đọc thẻ mô phỏng thay thế.\n'
          : 'The counter UI (Electron / browser) is not in this version yet; reading the demo card instead.\n',
      );
      await cmdDemo();
      return 0;
    case 'bench': {
      const { runBench } = await import('./bench.js');
      return runBench(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return 0;
  }
  throw usageError(`unknown command "${argv.join(' ')}"; see idkiosk --help`, `lệnh không hợp lệ "${argv.join(' ')}"; xem idkiosk --help`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isIdkError(e)) {
      process.stderr.write(`idkiosk: ${e.text(lang)} [${e.code}]\n`);
      process.exit(2);
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`idkiosk: ${e.message} (idkiosk --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`idkiosk: ${lang === 'vi' ? 'lỗi không mong đợi' : 'unexpected error'}: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
