import { usageError } from '../../core/errors.js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { saveCardFolder } from '../../drivers/emulator/card-folder.js';
import { type Person, buildCard } from '../../drivers/emulator/card-builder.js';
import { ensurePki } from '../../drivers/emulator/test-pki.js';
import type { Command } from './command.js';

export const cardBuildCommand: Command = {
  name: ['card', 'build'],
  usage: 'card build --person FILE.json --pki DIR --out DIR',
  async run(argv, { lang }) {
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
    return 0;
  },
};
