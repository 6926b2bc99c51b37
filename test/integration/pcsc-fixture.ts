// Shared set-up of the PC/SC integration tests: a private pcscd (./pcscd.ts) and software
// chips plugged into its vpcd slots from worker threads, so a test can pull the card at any moment.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../main/paths.js';
import { listReaders } from '../../drivers/pcsc/readers.js';
import { type Pcscd, startPcscd, waitFor } from './pcscd.js';

export interface Fixture {
  pcscd: Pcscd;
  /** pcscd's names of vpcd's two slots. */
  slot0: string;
  slot1: string;
  cards: Set<HostedCard>;
}

export async function startFixture(): Promise<Fixture> {
  if (!existsSync(`${packageRoot()}/dist/drivers/emulator/chip.js`)) {
    throw new Error('the vpcd card host runs the built chip: run "npm run build" first (npm test does it before vitest)');
  }
  const pcscd = await startPcscd();
  return { pcscd, slot0: pcscd.config.reader, slot1: pcscd.config.reader1, cards: new Set() };
}

export async function stopFixture(f: Fixture | undefined): Promise<void> {
  if (!f) return;
  for (const c of f.cards) await c.stop();
  f.cards.clear();
  await f.pcscd.stop();
}

/** Waits until pcscd (through our binding) reports `present` for the reader. */
export async function waitPresence(reader: string, present: boolean, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `"${reader}" to report ${present ? 'a card' : 'no card'}`,
    async () => ((await listReaders()).find((r) => r.name === reader)?.present === present ? true : undefined),
    timeoutMs,
    50,
  );
}

export type Fault = { kind: 'slow'; ms: number; from: number } | { kind: 'silent'; from: number } | { kind: 'garbage'; from: number } | { kind: 'badmac'; from: number };

/**
 * A software chip (from a card folder) on a vpcd slot, served from its own thread: a card
 * in a real reader answers while our thread waits in a PC/SC call, and so does this one.
 */
export class HostedCard {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, (m: HostReply) => void>();
  private readonly ready: Promise<void>;
  private dead: Error | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.worker = new Worker(new URL('./vpcd-host.mjs', import.meta.url), { workerData: { dir, port } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: HostReply & { ready?: boolean }) => {
        if (m.ready) return resolve();
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      });
      this.worker.once('error', (e) => {
        this.dead = e;
        reject(e);
        for (const w of this.waiting.values()) w({ id: -1, ok: false, error: e.message, apdus: 0, inserted: false });
      });
    });
  }

  private async call(m: Record<string, unknown>): Promise<HostReply> {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = ++this.seq;
    const reply = await new Promise<HostReply>((r) => {
      this.waiting.set(id, r);
      this.worker.postMessage({ ...m, id });
    });
    if (!reply.ok) throw new Error(`vpcd host: ${reply.error}`);
    return reply;
  }

  insert(): Promise<HostReply> {
    return this.call({ op: 'insert' });
  }
  eject(): Promise<HostReply> {
    return this.call({ op: 'eject' });
  }
  /** The chip leaves the field after `n` more APDUs. */
  removeAfter(n: number): Promise<HostReply> {
    return this.call({ op: 'removeAfter', n });
  }
  fault(fault: Fault | undefined): Promise<HostReply> {
    return this.call({ op: 'fault', fault });
  }
  /** APDUs the chip has answered, and whether it is on the reader. */
  state(): Promise<HostReply> {
    return this.call({ op: 'state' });
  }
  async stop(): Promise<void> {
    if (!this.dead) await this.call({ op: 'stop' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

interface HostReply {
  id: number;
  ok: boolean;
  error?: string;
  apdus: number;
  inserted: boolean;
}

/** Places the card folder `dir` into vpcd slot `slot` and waits until pcscd sees it. */
export async function insert(f: Fixture, dir: string, slot: 0 | 1 = 0): Promise<HostedCard> {
  const c = new HostedCard(dir, f.pcscd.config.port + slot);
  f.cards.add(c);
  await c.insert();
  await waitPresence(slot === 0 ? f.slot0 : f.slot1, true);
  return c;
}

/** Takes the card out (for good) and waits until pcscd notices. */
export async function eject(f: Fixture, c: HostedCard, slot: 0 | 1 = 0): Promise<void> {
  await c.eject();
  await c.stop();
  f.cards.delete(c);
  await waitPresence(slot === 0 ? f.slot0 : f.slot1, false);
}
