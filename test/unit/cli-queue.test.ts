// `idkiosk queue` and `read --record` as an operator meets a store that cannot be used, or a
// server that dies mid-enrolment: a clear vi/en refusal, an exit code, never a stack trace.
import { execFile } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoCard, packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';

const run = promisify(execFile);
const CLI = join(packageRoot(), 'dist/main/cli.js');

async function idkiosk(args: string[], lang = 'vi') {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, IDKIOSK_LANG: lang }, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
});

const STACK = /\n\s+at /;

describe('a store without its key', () => {
  it('refuses to record and says why; queue status says so too; no new identity is made', async () => {
    const dir = tempDir('idk-cli-key-');
    const rec = ['read', '--card', demoCard('cccd'), '--can', '012345', '--record', '--data-dir', dir];
    expect((await idkiosk(rec)).code).toBe(0);
    renameSync(join(dir, 'device-key.json'), join(dir, 'kept-elsewhere.json'));
    const again = await idkiosk(rec);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/thiếu tệp khóa .*KHÔNG ghi được.*\[KEY_MISSING\]/);
    expect(again.stderr).not.toMatch(STACK);
    expect(existsSync(join(dir, 'device-key.json'))).toBe(false);
    const st = await idkiosk(['queue', 'status', '--data-dir', dir], 'en');
    expect(st.code).toBe(3);
    expect(st.stdout).toMatch(/^!! This store holds records of device .* key file .* is missing: results can NOT be recorded.*\[KEY_MISSING\]/);
    const json = JSON.parse((await idkiosk(['queue', 'status', '--data-dir', dir, '--json'])).stdout) as { refused: { code: string } };
    expect(json.refused.code).toBe('KEY_MISSING');
  });
});

describe('queue flush when the server dies mid-enrolment', () => {
  it('gives SYNC_UNREACHABLE with the address, and no stack trace', async () => {
    // A server that takes the connection and drops it, as one killed during the exchange does.
    const srv = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const r = await idkiosk(['queue', 'flush', '--server', `http://127.0.0.1:${port}`, '--token', 't', '--data-dir', tempDir('idk-cli-enrol-')], 'en');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/enrolment with http:\/\/127\.0\.0\.1:\d+ did not complete .*\[SYNC_UNREACHABLE\]/);
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      srv.close();
    }
  });
});
