// A card folder (DESIGN.md): one file per elementary file, named as on the chip, and
// card.json with what only the chip knows. A dump of a real card replays the same way.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdkError } from '../../core/errors.js';
import { allFiles, folderFileName } from '../emrtd/files.js';
import { type CardImage, type ChipProfile, DEFAULT_PROFILE } from './card-image.js';

interface CardJson {
  can?: string;
  chip?: Partial<ChipProfile>;
  activeAuthentication?: { privateKey: string };
  chipAuthentication?: { privateKey: string };
  /** Free text for people: which fictitious person, which profile. */
  description?: string;
}

function badFolder(dir: string, why: string): IdkError {
  return new IdkError('BAD_CARD_FOLDER', {
    vi: `Thư mục thẻ ${dir} không dùng được: ${why}.`,
    en: `Card folder ${dir} cannot be used: ${why}.`,
  });
}

export async function loadCardFolder(dir: string): Promise<CardImage> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw badFolder(dir, 'it does not exist or cannot be read');
  }
  const files = new Map<string, Uint8Array>();
  for (const f of allFiles()) {
    const n = folderFileName(f);
    if (names.includes(n)) files.set(f.name, new Uint8Array(await readFile(join(dir, n))));
  }
  if (!files.has('EF.COM') && !files.has('DG1')) throw badFolder(dir, 'no EF.COM.bin or DG1.bin');
  let json: CardJson = {};
  if (names.includes('card.json')) {
    try {
      json = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as CardJson;
    } catch (e) {
      throw badFolder(dir, `card.json is not valid JSON (${(e as Error).message})`);
    }
  }
  const b64 = (s: string | undefined) => (s ? new Uint8Array(Buffer.from(s, 'base64')) : undefined);
  return {
    files,
    secrets: {
      can: json.can,
      activeAuthenticationKey: b64(json.activeAuthentication?.privateKey),
      chipAuthenticationKey: b64(json.chipAuthentication?.privateKey),
    },
    profile: { ...DEFAULT_PROFILE, ...json.chip },
  };
}

export async function saveCardFolder(dir: string, card: CardImage, description?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of allFiles()) {
    const bytes = card.files.get(f.name);
    if (bytes) await writeFile(join(dir, folderFileName(f)), bytes);
  }
  const b64 = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('base64') : undefined);
  const json: CardJson = {
    description,
    can: card.secrets.can,
    chip: card.profile,
    activeAuthentication: card.secrets.activeAuthenticationKey ? { privateKey: b64(card.secrets.activeAuthenticationKey)! } : undefined,
    chipAuthentication: card.secrets.chipAuthenticationKey ? { privateKey: b64(card.secrets.chipAuthenticationKey)! } : undefined,
  };
  await writeFile(join(dir, 'card.json'), JSON.stringify(json, null, 2) + '\n');
}
