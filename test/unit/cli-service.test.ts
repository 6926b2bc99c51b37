// The command line of the service and the formats: `api pair|clients|revoke`, and
// `read --format fhir|pdf` as real processes on real files.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS_FILE } from '../../main/api/clients.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { validateR4 } from '../helpers/fhir.js';
import { call } from '../helpers/service.js';

const run = promisify(execFile);
const CLI = join(packageRoot(), 'dist/main/cli.js');

async function idkiosk(args: string[], env: Record<string, string> = {}) {
  try {
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

describe('idkiosk api', () => {
  it('pairs (token printed once, only its hash kept), lists, revokes', async () => {
    const dir = tempDir();
    const p = await idkiosk(['api', 'pair', '--name', 'HIS', '--origin', 'https://his.benhvien.test', '--data-dir', dir, '--json'], { IDKIOSK_LANG: 'en' });
    expect(p.code).toBe(0);
    const { token, origins } = JSON.parse(p.stdout) as { token: string; origins: string[] };
    expect(origins).toEqual(['https://his.benhvien.test']);
    expect(readFileSync(join(dir, CLIENTS_FILE), 'utf8')).not.toContain(token);
    const human = await idkiosk(['api', 'pair', '--name', 'Quầy 2', '--data-dir', dir]);
    expect(human.stdout).toMatch(/Mã truy cập \(chỉ hiện MỘT lần/);
    const list = await idkiosk(['api', 'clients', '--data-dir', dir, '--json']);
    const clients = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(clients.map((c) => c.name)).toEqual(['HIS', 'Quầy 2']);
    expect(list.stdout).not.toContain('tokenSha256');
    const dup = await idkiosk(['api', 'pair', '--name', 'HIS', '--data-dir', dir]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/\[API_CLIENT_EXISTS\]$/m);
    expect((await idkiosk(['api', 'revoke', 'HIS', '--data-dir', dir])).code).toBe(0);
    const gone = await idkiosk(['api', 'revoke', 'HIS', '--data-dir', dir], { IDKIOSK_LANG: 'en' });
    expect(gone.stderr).toBe('idkiosk: No paired client is named "HIS" (see idkiosk api clients). [API_CLIENT_UNKNOWN]\n');
  });
});

describe('idkiosk read --format', () => {
  it('fhir prints a valid R4 Patient', async () => {
    const r = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '012345', '--format', 'fhir']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as { resourceType: string; name: Array<{ text: string }> };
    expect(p.resourceType).toBe('Patient');
    expect(p.name[0]!.text).toBe('Lê Thị Mẫu');
    expect(validateR4(p).errors).toEqual([]);
  });

  it('pdf writes the one-page record (with the event id when recorded); --out is required', async () => {
    const dir = tempDir();
    const out = join(dir, 'record.pdf');
    const r = await idkiosk(['read', '--card', demoCard('cccd'), '--can', '012345', '--format', 'pdf', '--out', out, '--record', '--data-dir', dir]);
    expect(r.code).toBe(0);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', out, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('Lê Thị Mẫu');
    expect(text).toContain('Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng');
    expect(text).toMatch(/Mã sự kiện [0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect((await idkiosk(['read', '--card', demoCard('cccd'), '--can', '012345', '--format', 'pdf'])).stderr).toMatch(/\[BAD_ARGUMENTS\]/);
  });
});

describe('idkiosk qr on a boarding pass', () => {
  it('decodes PDF417 and Aztec made by zint and QR made by qrencode into the BCBP fields, dated today', async () => {
    const now = new Date();
    const day = Math.round((Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) - Date.UTC(now.getFullYear(), 0, 0)) / 86_400_000);
    const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    // A fictitious passenger; the fields at their IATA widths (name 20, PNR 7, airports 3+3, carrier 3, flight 5, day 3…).
    const text = `M1${'LE/THI MAU'.padEnd(20)}EABC123 HANSGNVN 0213 ${String(day).padStart(3, '0')}Y012C0001 100`;
    const dir = tempDir('idk-bcbp-');
    const images = {
      PDF_417: ['zint', ['-b', '55', '--scale=3', '-d', text, '-o', join(dir, 'pdf417.png')], join(dir, 'pdf417.png')],
      AZTEC: ['zint', ['-b', '92', '--scale=4', '-d', text, '-o', join(dir, 'aztec.png')], join(dir, 'aztec.png')],
      QR_CODE: ['qrencode', ['-s', '6', '-o', join(dir, 'qr.png'), text], join(dir, 'qr.png')],
    } as const;
    for (const [, [cmd, args, file]] of Object.entries(images)) {
      execFileSync(cmd, [...args], { stdio: 'pipe' });
      const r = await idkiosk(['qr', '--image', file, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ kind: 'bcbp', passengerName: 'LE/THI MAU', pnr: 'ABC123', from: 'HAN', to: 'SGN', carrier: 'VN', flight: '213', date: today, seat: '12C' });
    }
    const human = await idkiosk(['qr', '--text', text]);
    expect(human.stdout).toContain('Thẻ lên máy bay (IATA BCBP)');
    expect(human.stdout).toContain('HAN → SGN');
  });
});

describe('idkiosk demo --api-port', () => {
  it('starts the service beside the kiosk and prints its address; beyond 127.0.0.1 it needs TLS', async () => {
    const dir = tempDir();
    const { token } = JSON.parse((await idkiosk(['api', 'pair', '--name', 'HIS', '--data-dir', dir, '--json'])).stdout) as { token: string };
    const child = spawn(process.execPath, [CLI, 'demo', '--headless', '--no-face', '--api-port', '0', '--data-dir', dir], { env: { ...process.env, IDKIOSK_LANG: 'en' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /Service for the counter software: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
      });
      const status = await call(url, 'GET', '/v1/status', { token });
      expect(status.status).toBe(200);
      expect(status.json).toMatchObject({ kiosk: { mode: 'demo' }, reader: { emulated: true } });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const tls = await idkiosk(['demo', '--headless', '--no-face', '--api-port', '0', '--api-host', '0.0.0.0', '--data-dir', dir], { IDKIOSK_LANG: 'en' });
    expect(tls.code).toBe(2);
    expect(tls.stderr).toMatch(/\[API_NEEDS_TLS\]$/m);
    expect((await idkiosk(['demo', '--api-cert', 'x.pem'])).stderr).toMatch(/\[BAD_ARGUMENTS\]/);
  });
});

