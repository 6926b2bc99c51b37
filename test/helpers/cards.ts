// Cards for tests: the shipped demo folders, and fresh cards built from fictitious people
// with a throwaway test PKI.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, type Person, buildCard } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { ensurePki } from '../../drivers/emulator/test-pki.js';
import { demoCard, packageRoot } from '../../main/paths.js';

export async function demoPerson(which: 'cccd' | 'passport'): Promise<Person> {
  return JSON.parse(await readFile(join(packageRoot(), `drivers/emulator/demo/${which}.person.json`), 'utf8')) as Person;
}

export function loadDemo(which: 'cccd' | 'passport'): Promise<CardImage> {
  return loadCardFolder(demoCard(which));
}

let pkiDir: string | undefined;

export async function freshCard(person: Person, options?: BuildOptions): Promise<CardImage> {
  pkiDir ??= join(mkdtempSync(join(tmpdir(), 'idk-pki-')), 'pki');
  const { signer } = await ensurePki(pkiDir);
  return buildCard(person, signer, options);
}

export function tempDir(prefix = 'idk-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
