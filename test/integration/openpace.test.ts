// A third-party PACE peer: OpenPACE (libeac, the library behind OpenSC's PACE) acts as the
// terminal against our software chip, through the real stack (a C harness on libpcsclite ->
// a private pcscd -> vpcd -> the chip served from a worker thread). OpenPACE parses our
// EF.CardAccess, runs PACE-CAN with its own crypto, opens secure messaging with its own SM
// primitives and reads EF.COM and DG1: both must equal the card folder's bytes. A wrong CAN
// must make the chip refuse. Our own terminal and chip agreeing proves less: they could share
// a misreading of ICAO 9303-11.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../core/bytes.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { type Fixture, type HostedCard, eject, insert, startFixture, stopFixture } from './pcsc-fixture.js';
import { run } from './pcscd.js';

const SOURCE = join(packageRoot(), 'test/integration/openpace/pace-terminal.c');
const PACKAGES = 'apt-get install libeac-dev libpcsclite-dev gcc pkg-config (build-essential brings gcc)';

function toolchainMissing(what: string): Error {
  return new Error(`the OpenPACE peer test builds a C harness and ${what}. Install the Debian packages: ${PACKAGES}`);
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => existsSync(join(d, cmd)));
}

/** Compiler flags for libeac + libpcsclite: pkg-config when it knows both, else Debian's paths. */
function buildFlags(): string[] {
  if (onPath('pkg-config')) {
    try {
      return execFileSync('pkg-config', ['--cflags', '--libs', 'libeac', 'libpcsclite'], { encoding: 'utf8' }).trim().split(/\s+/);
    } catch {
      // fall through to the fixed paths, checked below
    }
  }
  return ['-I/usr/include/PCSC', '-leac', '-lcrypto', '-lpcsclite'];
}

/** Compiles the harness into a temp dir; fails naming the packages when a part is missing. */
async function buildHarness(): Promise<string> {
  if (!onPath('cc')) throw toolchainMissing('no C compiler "cc" is installed (package gcc / build-essential)');
  if (!existsSync('/usr/include/eac/pace.h')) throw toolchainMissing('OpenPACE headers /usr/include/eac/pace.h are missing (package libeac-dev)');
  if (!existsSync('/usr/include/PCSC/winscard.h')) throw toolchainMissing('PC/SC headers /usr/include/PCSC/winscard.h are missing (package libpcsclite-dev)');
  const out = join(tempDir('idk-openpace-'), 'pace-terminal');
  const r = await run('cc', ['-O1', '-Wall', '-o', out, SOURCE, ...buildFlags()], { timeoutMs: 60_000 });
  if (r.code !== 0) throw toolchainMissing(`compiling ${SOURCE} failed:\n${r.stderr}`);
  return out;
}

/** "NAME HEX" lines of the harness's stdout. */
function files(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, value] = line.trim().split(' ');
    if (name && value) m.set(name, value.toLowerCase());
  }
  return m;
}

let f: Fixture | undefined;
let harness = '';
let card: HostedCard | undefined;
const fx = (): Fixture => {
  if (!f) throw new Error('pcscd did not start (see beforeAll)');
  return f;
};
const folder = demoCard('cccd');
const expected = (name: string): string => hex(new Uint8Array(readFileSync(join(folder, `${name}.bin`)))).toLowerCase();

beforeAll(async () => {
  harness = await buildHarness();
  f = await startFixture();
  card = await insert(f, folder);
}, 90_000);

afterAll(async () => {
  if (f && card) await eject(f, card).catch(() => undefined);
  await stopFixture(f);
  if (harness) rmSync(dirname(harness), { recursive: true, force: true });
}, 30_000);

describe('OpenPACE as the PACE terminal against our chip (pcscd + vpcd)', () => {
  it('runs PACE-CAN with OpenPACE, then reads EF.COM and DG1 under its secure messaging', async () => {
    const before = (await card!.state()).apdus;
    const r = await run(harness, [fx().slot0, '012345'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('id-PACE-ECDH-GM-AES-CBC-CMAC-128');
    const got = files(r.stdout);
    expect(got.get('EF.COM')).toBe(expected('EF.COM'));
    expect(got.get('DG1')).toBe(expected('DG1'));
    // The bytes came over the wire from the chip: SELECT + READ of EF.CardAccess, MSE, 4 GA,
    // then SELECT application and SELECT + READ BINARY of two files under SM.
    expect((await card!.state()).apdus - before).toBeGreaterThanOrEqual(2 + 1 + 4 + 1 + 4);
  });

  it('fails when the CAN is wrong: the chip refuses OpenPACE\'s authentication token', async () => {
    const r = await run(harness, [fx().slot0, '999999'], { timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('DG1');
    expect(r.stderr).toMatch(/GA mutual authentication refused with SW (?!9000)[0-9A-F]{4}/);
    // The chip is not wedged: the right CAN works again at once.
    const again = await run(harness, [fx().slot0, '012345'], { timeoutMs: 30_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(files(again.stdout).get('DG1')).toBe(expected('DG1'));
  });
});
