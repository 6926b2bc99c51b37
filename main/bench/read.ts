// `npm run bench read`: the demo CCCD read through the software chip under its latency
// model, against the wire limit, with the reader's own CPU time and APDU counts.
import { readDocument, selectApplication } from '../../drivers/emrtd/read-document.js';
import { EF_CARD_ACCESS, fileByName } from '../../drivers/emrtd/files.js';
import { paceTerminal } from '../../drivers/emrtd/pace.js';
import { largestChunk, readAt, readFile, selectFile } from '../../drivers/emrtd/read-file.js';
import { parseCardAccess, paceInfos } from '../../drivers/emrtd/security-infos.js';
import { CardSession } from '../../drivers/emrtd/session.js';
import { type CardImage, DEFAULT_LATENCY } from '../../drivers/emulator/card-image.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { demoCard } from '../paths.js';
import type { Figure } from './figure.js';

/**
 * The read a reader that knew every file's length in advance would make: the same access
 * protocol, then one SELECT and the fewest READ BINARYs the chip's buffer allows per file.
 */
async function wireLimitRead(card: CardImage, can: string, names: string[]): Promise<SoftwareChip> {
  const chip = new SoftwareChip(card, { latency: DEFAULT_LATENCY });
  const session = new CardSession(chip);
  const access = await readFile(session, EF_CARD_ACCESS, { chunk: 223, extended: false });
  const info = paceInfos(parseCardAccess(access))[0];
  if (!info) throw new Error('bench card must offer PACE');
  session.sm = (await paceTerminal((c) => session.send(c), { password: { kind: 'can', can }, info })).sm;
  await selectApplication(session);
  const p = card.profile;
  const chunk = Math.min(p.maxChunk, largestChunk(p.extendedLength ? p.maxResponse : 258, session.sm.block));
  for (const name of names) {
    const f = fileByName(name)!;
    if (!f.inApplication) continue;
    const len = card.files.get(name)!.length;
    await selectFile(session, f);
    for (let off = 0; off < len; off += chunk) {
      const r = await readAt(session, off, Math.min(chunk, len - off));
      // A refused read would make the limit look cheaper than any real read: fail loudly.
      if (r.sw !== 0x9000 || r.data.length !== Math.min(chunk, len - off)) throw new Error(`wire-limit read of ${name} failed: ${r.sw.toString(16)}`);
    }
  }
  return chip;
}

export async function benchRead(): Promise<Figure[]> {
  const card = await loadCardFolder(demoCard('cccd'));
  const can = card.secrets.can!;
  const out: Figure[] = [];
  for (const extended of [true, false]) {
    const variant: CardImage = { ...card, profile: { ...card.profile, extendedLength: extended } };
    if (!extended) variant.files = new Map([...card.files].filter(([k]) => k !== 'EF.ATR/INFO'));
    // Warm up once: a kiosk runs for days, so module loading and curve tables are not per-read costs.
    await readDocument(new SoftwareChip(variant), { access: { kind: 'can', can } });
    // CPU time is noisy on a shared machine: the median of several reads; modelled time is exact.
    const cpuRuns: number[] = [];
    let chip!: SoftwareChip;
    let raw!: Awaited<ReturnType<typeof readDocument>>;
    for (let i = 0; i < 5; i++) {
      chip = new SoftwareChip(variant, { latency: DEFAULT_LATENCY });
      const cpu0 = process.cpuUsage();
      raw = await readDocument(chip, { access: { kind: 'can', can } });
      const cpu = process.cpuUsage(cpu0);
      cpuRuns.push((cpu.user + cpu.system) / 1000 - chip.cpuMs);
    }
    const readerCpuMs = cpuRuns.sort((a, b) => a - b)[2]!;
    const ideal = await wireLimitRead(variant, can, [...raw.files.keys()]);
    const tag = extended ? 'extended length' : 'short APDUs';
    const dg2 = raw.files.get('DG2')?.length ?? 0;
    out.push({ name: `read modelled time (${tag})`, value: chip.modelledMs, limit: ideal.modelledMs, unit: 'ms', target: 1.1, note: `wire limit; ${raw.stats.apdus} APDUs vs ${ideal.apdus}, DG2 ${dg2} B` });
    out.push({ name: `read reader CPU (${tag})`, value: readerCpuMs, limit: chip.modelledMs, unit: 'ms', target: 0.05, note: 'median of 5, of modelled time' });
    if (!extended) {
      for (const fixed of [223, 160, 112]) {
        const c = new SoftwareChip(variant, { latency: DEFAULT_LATENCY });
        const r = await readDocument(c, { access: { kind: 'can', can }, fixedChunk: fixed });
        out.push({ name: `read APDUs vs ${fixed}-byte chunks`, value: raw.stats.apdus, limit: r.stats.apdus, unit: 'APDUs', note: `their modelled time ${c.modelledMs.toFixed(0)} ms` });
      }
    }
  }
  return out;
}
