// A card we did not write: vsmartcard's vicc (Debian vsmartcard-vpicc) emulating a plain
// ISO 7816 card behind vpcd. Our PC/SC transport must carry its APDUs unchanged, and the
// eMRTD reader must say clearly that this is not an ID card, then leave the reader usable.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, parseResponse } from '../../drivers/apdu/apdu.js';
import { isIdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { PcscTransport } from '../../drivers/pcsc/transport.js';
import { type Fixture, eject, insert, startFixture, stopFixture, waitPresence } from './pcsc-fixture.js';

// Debian installs vicc's Python package in a folder that is not on Python's path.
const VICC_PYTHONPATH = '/usr/lib/python3/site-packages/virtualsmartcard';
const PYCRYPTODOME = '/usr/lib/python3/dist-packages/Cryptodome';

// vicc imports PyCrypto's "Crypto"; Debian ships PyCryptodome as "Cryptodome": alias one to the other.
const SHIM = `import importlib, importlib.abc, importlib.util, sys
class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == 'Crypto' or name.startswith('Crypto.'):
            return importlib.util.spec_from_loader(name, self)
        return None
    def create_module(self, spec):
        return importlib.import_module('Cryptodome' + spec.name[len('Crypto'):])
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, _Alias())
`;

let f: Fixture | undefined;
let vicc: ChildProcess | undefined;
let viccLog = '';

function requireVicc(): void {
  const missing: string[] = [];
  if (!existsSync('/usr/bin/vicc') || !existsSync(VICC_PYTHONPATH)) missing.push('vsmartcard-vpicc');
  if (!existsSync(PYCRYPTODOME)) missing.push('python3-pycryptodome');
  if (missing.length > 0) throw new Error(`vicc is needed as a foreign ISO 7816 card: apt-get install ${missing.join(' ')}`);
}

beforeAll(async () => {
  requireVicc();
  f = await startFixture();
  const shim = mkdtempSync(join(tmpdir(), 'idk-vicc-'));
  writeFileSync(join(shim, 'sitecustomize.py'), SHIM);
  vicc = spawn('/usr/bin/vicc', ['-t', 'iso7816', '--hostname', '127.0.0.1', '--port', String(f.pcscd.config.port)], {
    env: { ...process.env, PYTHONPATH: `${VICC_PYTHONPATH}:${shim}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  vicc.stdout!.on('data', (d: Buffer) => (viccLog += d.toString()));
  vicc.stderr!.on('data', (d: Buffer) => (viccLog += d.toString()));
  try {
    await waitPresence(f.slot0, true, 15_000);
  } catch (e) {
    throw new Error(`vicc did not appear in ${f.slot0}: ${viccLog.slice(-800)}`, { cause: e });
  }
}, 45_000);

afterAll(async () => {
  vicc?.kill('SIGKILL');
  await stopFixture(f);
}, 30_000);

describe('a foreign ISO 7816 card (vicc) through our PC/SC transport', () => {
  it('carries its APDUs: SELECT of the master file and GET CHALLENGE answer as an ISO card does', async () => {
    const t = await PcscTransport.connect(f!.slot0);
    try {
      const mf = parseResponse(await t.transmit(encodeCommand({ cla: 0, ins: 0xa4, p1: 0, p2: 0x0c, data: Uint8Array.of(0x3f, 0x00) })));
      expect(mf.sw, viccLog.slice(-400)).toBe(0x9000);
      const challenge = parseResponse(await t.transmit(encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 })));
      expect(challenge.sw).toBe(0x9000);
      expect(challenge.data.length).toBe(8);
      const again = parseResponse(await t.transmit(encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 })));
      expect(again.data).not.toEqual(challenge.data);
    } finally {
      await t.close();
    }
  });

  it('an eMRTD read of it fails with one clear, typed error and the reader stays usable', async () => {
    const t = await PcscTransport.connect(f!.slot0);
    let err: unknown;
    try {
      await readDocument(t, { access: { kind: 'mrz', key: { documentNumber: 'C0000001', dateOfBirth: '851102', dateOfExpiry: '311102' } } });
    } catch (e) {
      err = e;
    } finally {
      await t.close();
    }
    expect(isIdkError(err), String(err)).toBe(true);
    expect((err as { code: string }).code, String(err)).toBe('NOT_AN_EMRTD');
    // The reader is free again: our demo chip in the other slot reads normally.
    const chip = await insert(f!, 'drivers/emulator/demo/cccd', 1);
    const t2 = await PcscTransport.connect(f!.slot1);
    try {
      const raw = await readDocument(t2, { access: { kind: 'can', can: '012345' } });
      expect(raw.access).toBe('PACE-GM');
    } finally {
      await t2.close();
      await eject(f!, chip, 1);
    }
  });
});
