// The PC/SC binding is optional (docs/readers.md): these check that our declaration of the
// part of `smartcard` we use matches the real package, and that each way loading can fail
// becomes one clear error naming what to install and what to run.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Smartcard from 'smartcard';
import { describe, expect, it } from 'vitest';
import { type Binding, bindingLoadError } from '../../drivers/pcsc/binding.js';
import { thrown } from '../helpers/errors.js';

// Compile-time: the real package's declarations satisfy ours (npm run lint type-checks tests).
const fits: (m: typeof Smartcard) => Binding = (m) => m;

describe('PC/SC binding loading', () => {
  it('our declaration is the real package\'s API', () => {
    const real = createRequire(import.meta.url)('smartcard') as typeof Smartcard;
    const b = fits(real);
    expect(typeof b.Context).toBe('function');
    for (const k of ['SCARD_SHARE_EXCLUSIVE', 'SCARD_SHARE_SHARED', 'SCARD_PROTOCOL_T0', 'SCARD_PROTOCOL_T1', 'SCARD_LEAVE_CARD', 'SCARD_RESET_CARD'] as const) expect(typeof b[k]).toBe('number');
  });

  it('a package npm left out: install the headers, then npm install', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idk-binding-'));
    const e = bindingLoadError(thrown(() => createRequire(join(dir, 'x.js'))('smartcard')));
    expect(e.code).toBe('PCSC_BINDING_MISSING');
    expect(e.messages.en).toContain('libpcsclite-dev');
    expect(e.messages.en).toContain('"npm install"');
    expect(e.messages.vi).toContain('apt-get install libpcsclite-dev pcscd');
    expect(e.messages.en).not.toContain('\n');
  });

  it('a package without its compiled addon: npm rebuild smartcard', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idk-binding-'));
    const real = join(dirname(createRequire(import.meta.url).resolve('smartcard')), '..', '..');
    const pkg = join(dir, 'node_modules', 'smartcard');
    mkdirSync(join(pkg, 'dist', 'lib'), { recursive: true });
    copyFileSync(join(real, 'package.json'), join(pkg, 'package.json'));
    copyFileSync(join(real, 'dist', 'lib', 'index.js'), join(pkg, 'dist', 'lib', 'index.js'));
    const e = bindingLoadError(thrown(() => createRequire(join(dir, 'x.js'))('smartcard')));
    expect(e.code).toBe('PCSC_BINDING_MISSING');
    expect(e.messages.en).toContain('"npm rebuild smartcard"');
  });

  it('an addon that cannot be loaded by the system: the PC/SC library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idk-binding-'));
    writeFileSync(join(dir, 'broken.node'), 'not a shared object');
    const e = bindingLoadError(thrown(() => createRequire(join(dir, 'x.js'))('./broken.node')));
    expect(e.code).toBe('PCSC_LIBRARY_MISSING');
    expect(e.messages.en).toContain('libpcsclite1');
  });
});
