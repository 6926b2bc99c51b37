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

/**
 * The chip's answers with their CPU time counted apart, so the reader's own CPU is the
 * process's CPU minus the chip's. Both sides in CPU time (not wall time): on a loaded
 * machine wall time includes waiting for a core, which would be charged to the wrong side.
 */
class MeteredChip {
  chipCpuMs = 0;
  constructor(readonly chip: SoftwareChip) {}
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const u0 = process.cpuUsage();
    try {
      return this.chip.process(command);
    } finally {
      const u = process.cpuUsage(u0);
      this.chipCpuMs += (u.user + u.system) / 1000;
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function benchRead(): Promise<Figure[]> {
  const card = await loadCardFolder(demoCard('cccd'));
  const can = card.secrets.can!;
  const access = { kind: 'can', can } as const;
  const out: Figure[] = [];
  for (const extended of [true, false]) {
    const variant: CardImage = { ...card, profile: { ...card.profile, extendedLength: extended } };
    if (!extended) variant.files = new Map([...card.files].filter(([k]) => k !== 'EF.ATR/INFO'));
    // Warm up: a kiosk runs for days, so module loading, JIT and curve tables are not per-read costs.
    for (let i = 0; i < 3; i++) await readDocument(new SoftwareChip(variant), { access });
    // CPU time is noisy on a shared machine: the median of several reads; modelled time is exact.
    const cpuRuns: number[] = [];
    let chip!: SoftwareChip;
    let raw!: Awaited<ReturnType<typeof readDocument>>;
    for (let i = 0; i < 9; i++) {
      chip = new SoftwareChip(variant, { latency: DEFAULT_LATENCY });
      const metered = new MeteredChip(chip);
      const cpu0 = process.cpuUsage();
      raw = await readDocument(metered, { access });
      const cpu = process.cpuUsage(cpu0);
      cpuRuns.push((cpu.user + cpu.system) / 1000 - metered.chipCpuMs);
    }
    const ideal = await wireLimitRead(variant, can, [...raw.files.keys()]);
    const tag = extended ? 'extended length' : 'short APDUs';
    const dg2 = raw.files.get('DG2')?.length ?? 0;
    out.push({ name: `read modelled time (${tag})`, value: chip.modelledMs, limit: ideal.modelledMs, unit: 'ms', target: 1.1, note: `wire limit; ${raw.stats.apdus} APDUs vs ${ideal.apdus}, DG2 ${dg2} B` });
    out.push({ name: `read reader CPU (${tag})`, value: median(cpuRuns), limit: chip.modelledMs, unit: 'ms', target: 0.05, note: 'median of 9 reads, CPU time less the chip\'s, of modelled time' });
    // The fixed-chunk reader is this same reader with its chunk pinned (`fixedChunk`: short
    // READ BINARYs of that many bytes), as readers that ignore the chip's buffer read.
    for (const fixed of extended ? [223] : [160, 112]) {
      const c = new SoftwareChip(variant, { latency: DEFAULT_LATENCY });
      const r = await readDocument(c, { access, fixedChunk: fixed });
      const mode = extended ? 'extended' : 'short';
      out.push({ name: `read APDUs, ${mode} vs ${fixed} B chunks`, value: raw.stats.apdus, limit: r.stats.apdus, unit: 'APDUs', note: `our reader with its chunk pinned to ${fixed} B, same card` });
      out.push({ name: `read time, ${mode} vs ${fixed} B chunks`, value: chip.modelledMs, limit: c.modelledMs, unit: 'ms', note: 'modelled time, same card and latency model' });
    }
  }
  return out;
}
