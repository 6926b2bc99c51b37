// The `idkiosk` command as people and other tools run it: real processes, real files.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { sha } from '../../drivers/emrtd/crypto.js';
import { buildCccdQr } from '../../drivers/qr/cccd-qr.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { demoPerson, tempDir } from '../helpers/cards.js';

const run = promisify(execFile);
const CLI = join(packageRoot(), 'dist/main/cli.js');

async function idkiosk(args: string[], env: Record<string, string> = {}) {
  try {
    // Each run keeps its store in a fresh folder, never in the tester's home.
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, IDKIOSK_DATA_DIR: tempDir('idk-data-'), ...env }, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
});

describe('idkiosk read', () => {
  it('prints the DESIGN.md object with --json and writes the face with --face-out', async () => {
    const face = join(tempDir(), 'face.jpg');
    const r = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '012345', '--json', '--face-out', face]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(out).sort()).toEqual(['access', 'authenticity', 'document', 'face', 'stats', 'vn']);
    expect(Object.keys(out.document!).sort()).toEqual(
      ['dateOfBirth', 'dateOfExpiry', 'documentNumber', 'documentType', 'givenNames', 'issuingState', 'nationality', 'optionalData', 'sex', 'surname'].sort(),
    );
    expect(Object.keys(out.vn!).sort()).toEqual(
      ['dateOfBirth', 'dateOfExpiry', 'dateOfIssue', 'ethnicity', 'fatherName', 'fullName', 'idNumber', 'motherName', 'nationality', 'oldIdNumber', 'personalIdentification', 'placeOfOrigin', 'placeOfResidence', 'religion', 'sex', 'spouseName'].sort(),
    );
    expect(Object.keys(out.stats!).sort()).toEqual(['apdus', 'bytesIn', 'bytesOut', 'ms']);
    expect(out.vn!.fullName).toBe('Lê Thị Mẫu');
    expect(out.access).toBe('PACE-GM');
    const bytes = new Uint8Array(await readFile(face));
    expect(hex(bytes.subarray(0, 2))).toBe('FFD8');
    expect(out.face!.sha256).toBe(hex(sha('sha256', bytes)).toLowerCase());
  });

  it('a wrong key exits non-zero with one line a clerk understands, in Vietnamese by default', async () => {
    const r = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '999999']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[ACCESS_DENIED]');
    expect(lines[0]).toContain('CAN');
    expect(lines[0]).toMatch(/không đúng/);
    const en = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '999999'], { IDKIOSK_LANG: 'en' });
    expect(en.stderr).toMatch(/Wrong CAN or MRZ/);
  });

  it.each([
    [['read', '--card', '/nonexistent/card', '--can', '012345'], 'BAD_CARD_FOLDER'],
    [['read', '--card', 'x'], 'BAD_ARGUMENTS'],
    [['read', '--card', 'x', '--can', '12ab56'], 'BAD_ACCESS_KEY'],
    [['read', '--card', 'x', '--mrz', 'C0000001:851102'], 'BAD_ACCESS_KEY'],
    [['frobnicate'], 'BAD_ARGUMENTS'],
  ])('%j fails with %s', async (args, code) => {
    const r = await idkiosk(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`[${code}]`);
  });

  it('opens the chip from the card\'s QR text and says whether the QR agrees with the chip', async () => {
    const person = await demoPerson('cccd');
    const qr = buildCccdQr({ ...person, idNumber: person.idNumber!, placeOfResidence: person.placeOfResidence!, dateOfIssue: person.dateOfIssue! });
    const ok = await idkiosk(['read', '--card', demoCard('cccd'), '--qr', qr, '--json']);
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.access).toBe('PACE-GM');
    expect(out.qr.openedWith).toEqual({ kind: 'can', can: '012345' });
    expect(out.qr.comparison.consistent).toBe(true);
    const other = qr.replace('Lê Thị Mẫu', 'Lê Thị Mẫn');
    const differs = await idkiosk(['read', '--card', demoCard('cccd'), '--qr', other]);
    expect(differs.code).toBe(0);
    expect(differs.stdout).toMatch(/QR: .*KHÁC dữ liệu chip ở: fullName/);
    const broken = await idkiosk(['read', '--card', demoCard('cccd'), '--qr', '0001900|garbage']);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads the passport with BAC and prints a Vietnamese summary', async () => {
    const r = await idkiosk(['read', '--card', demoCard('passport'), '--mrz', 'C0000001:851102:311102']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Họ và tên\s+: PHAM VAN THU/);
    expect(r.stdout).toMatch(/Ngày sinh\s+: 02\/11\/1985/);
    expect(r.stdout).toMatch(/Mở chip bằng\s+: BAC/);
  });
});

describe('idkiosk read --record and queue', () => {
  it('stores each verification as an event the queue then reports as pending', async () => {
    const dir = tempDir();
    const first = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '012345', '--record', '--data-dir', dir, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).recorded.seq).toBe(1);
    const second = await idkiosk(['read', '--card', demoCard('passport'), '--mrz', 'C0000001:851102:311102', '--record', '--data-dir', dir]);
    expect(second.stdout).toMatch(/Đã lưu sự kiện #2/);
    const status = await idkiosk(['queue', 'status', '--data-dir', dir, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ recorded: 2, delivered: 0, pending: 2 });
    // Personal data stays encrypted at rest: the name is nowhere in the database file in clear.
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(dir);
    expect(files).toContain('events.sqlite');
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect(bytes.includes(Buffer.from('Lê Thị Mẫu')), f).toBe(false);
      expect(bytes.includes(Buffer.from('190012345')), f).toBe(false);
    }
  });
});

describe('idkiosk card build', () => {
  it('makes a card folder from a person and a new test PKI, which then reads back', async () => {
    const dir = tempDir();
    const person = { ...(await demoPerson('cccd')), idNumber: '000301054321', fullName: 'Đỗ Thị Thử Nghiệm', faceSeed: 21 };
    await writeFile(join(dir, 'p.json'), JSON.stringify(person));
    const b = await idkiosk(['card', 'build', '--person', join(dir, 'p.json'), '--pki', join(dir, 'pki'), '--out', join(dir, 'card')]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('CAN 054321');
    expect(existsSync(join(dir, 'pki', 'csca.pem'))).toBe(true);
    const r = await idkiosk(['read', '--card', join(dir, 'card'), '--can', '054321', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).vn.fullName).toBe('Đỗ Thị Thử Nghiệm');
  });

  it('refuses a person file that is not a person', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'p.json'), JSON.stringify({ profile: 'cccd', fullName: 'X', idNumber: '12' }));
    const b = await idkiosk(['card', 'build', '--person', join(dir, 'p.json'), '--pki', join(dir, 'pki'), '--out', join(dir, 'card')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('[BAD_PERSON]');
  });
});

describe('idkiosk demo and bench', () => {
  it('demo --once reads the built-in card through the kiosk and shows a genuine card', async () => {
    const r = await idkiosk(['demo', '--once']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(r.stdout).toMatch(/Kết quả: Lê Thị Mẫu — XANH/);
    const j = await idkiosk(['demo', '--once', '--json']);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.person.vn.fullName).toBe('Lê Thị Mẫu');
    expect(out.authenticity.level).toBe('green');
    expect(out.access).toBe('PACE-GM');
  });

  it('bench read prints each figure as a ratio against its limit', async () => {
    const r = await idkiosk(['bench', 'read']);
    expect(r.code).toBe(0);
    const ratios = [...r.stdout.matchAll(/= (\d+\.\d+)x/g)].map((m) => Number(m[1]));
    expect(ratios.length).toBeGreaterThanOrEqual(7);
    for (const x of ratios) expect(x).toBeGreaterThan(0);
  });

  it('bench in an installed layout without main/bench/ says the benchmarks are not installed', async () => {
    // The package leaves dist/main/bench out (electron-builder.yml): a copy of dist without it, inside the checkout so node_modules resolve.
    const { cp, rm } = await import('node:fs/promises');
    const copy = join(packageRoot(), 'test/artifacts/dist-without-bench');
    await rm(copy, { recursive: true, force: true });
    await cp(join(packageRoot(), 'dist'), copy, { recursive: true, filter: (src) => !src.includes(`${join('dist', 'main', 'bench')}`) && !src.includes(`${join('dist', 'test')}`) });
    try {
      const r = await run(process.execPath, [join(copy, 'main/cli.js'), 'bench', 'read'], { encoding: 'utf8', env: { ...process.env, IDKIOSK_LANG: 'en' } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('idkiosk: This installation does not include the benchmarks: run "npm run bench" from a source checkout (after npm ci). [BENCH_NOT_INSTALLED]');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('sync-server keeps its keys under the user data folder by default, never in the current folder', async () => {
    const { spawn } = await import('node:child_process');
    const { readdirSync } = await import('node:fs');
    const cwd = tempDir('idk-cwd-');
    const home = tempDir('idk-xdg-');
    const child = spawn(process.execPath, [CLI, 'sync-server', '--port', '0', '--quiet'], { cwd, env: { ...process.env, XDG_DATA_HOME: home, IDKIOSK_SERVER_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), /http:\/\/127\.0\.0\.1:\d+/.test(out) && resolve()));
        child.once('exit', (c) => reject(new Error(`sync-server exited ${c}`)));
      });
      expect(readdirSync(cwd)).toEqual([]);
      // The database and the master key that seals the server's keys inside it (docs/store-and-forward.md).
      expect(readdirSync(join(home, 'idkiosk-server')).sort()).toEqual(expect.arrayContaining(['ingest.sqlite', 'master.key']));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
