// `idkiosk doctor [--json] [options of idkiosk start]`: what support asks for first. It takes
// the station's own options (main/kiosk/options.ts) so it checks what the kiosk would use:
// data dir, trust folder, server, reader, QR port, face. One line per check; exit 0 when
// nothing failed (warnings allowed), 1 otherwise.
import { join } from 'node:path';
import type { Lang } from '../../core/errors.js';
import type { CheckResult } from '../doctor/check.js';
import { runDoctor } from '../doctor/doctor.js';
import { parseStartOptions } from '../kiosk/options.js';
import { defaultDataDir } from '../paths.js';
import type { Command } from './command.js';

const WORDS = {
  vi: { ok: 'ổn', warn: 'cảnh báo', fail: 'LỖI', fix: 'cách sửa', summaryOk: 'Không có lỗi.', summaryFail: (n: number) => `${n} mục LỖI.` },
  en: { ok: 'ok', warn: 'warning', fail: 'FAILED', fix: 'fix', summaryOk: 'Nothing failed.', summaryFail: (n: number) => `${n} check(s) FAILED.` },
} as const;

function line(c: CheckResult, lang: Lang): string {
  const w = WORDS[lang];
  const fix = c.fix ? ` — ${w.fix}: ${c.fix[lang]}` : '';
  return `${`[${w[c.status]}]`.padEnd(12)} ${c.id.padEnd(13)} ${c.message[lang]}${fix}`;
}

export const doctorCommand: Command = {
  name: ['doctor'],
  usage: 'doctor [--json] [--demo] [--data-dir DIR] [--trust DIR] [--sync URL] [--reader NAME] [--qr-serial PATH] [--no-face]',
  async run(argv, { lang }) {
    const o = parseStartOptions(argv, { demo: false });
    const base = defaultDataDir(o.dataDir);
    const report = await runDoctor({
      // The same folder the kiosk uses: a demo keeps its own under demo/.
      dataDir: o.card ? join(base, 'demo') : base,
      trust: o.trust,
      sync: o.sync,
      reader: o.reader,
      qrSerial: o.qrSerial,
      face: o.face,
      demo: o.demo,
      now: Date.now,
    });
    if (o.json) {
      const checks = report.checks.map((c) => ({ id: c.id, status: c.status, message: c.message[lang], ...(c.fix ? { fix: c.fix[lang] } : {}) }));
      process.stdout.write(JSON.stringify({ checks, ok: report.ok }, null, 2) + '\n');
    } else {
      for (const c of report.checks) process.stdout.write(line(c, lang) + '\n');
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      process.stdout.write((failed ? WORDS[lang].summaryFail(failed) : WORDS[lang].summaryOk) + '\n');
    }
    return report.ok ? 0 : 1;
  },
};
