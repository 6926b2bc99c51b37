// The readers pcscd knows and what lies on them: a snapshot, a choice of reader for one
// read, waiting for a card, and a watcher that turns pcscd's state changes into events
// (reader attached/detached, card inserted/removed).
import { hex } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import { type NativeContext, STATE, openContext } from './binding.js';
import { noCard, noReader, pcscError } from './errors.js';

interface ReaderInfo {
  name: string;
  /** A card is in the field (or in the slot). */
  present: boolean;
  /** The card's ATR, upper-case hex, when present. */
  atr?: string;
  /** The card did not answer the reset. */
  mute: boolean;
  /** Another program holds the card exclusively. */
  exclusive: boolean;
}

function info(name: string, state: number, atr: Uint8Array | null | undefined): ReaderInfo {
  const present = (state & STATE.PRESENT) !== 0;
  return {
    name,
    present,
    ...(present && atr && atr.length > 0 ? { atr: hex(atr).toUpperCase() } : {}),
    mute: (state & STATE.MUTE) !== 0,
    exclusive: (state & STATE.EXCLUSIVE) !== 0,
  };
}

async function withContext<T>(f: (ctx: NativeContext) => T | Promise<T>): Promise<T> {
  const ctx = await openContext();
  try {
    return await f(ctx);
  } finally {
    ctx.close();
  }
}

function snapshot(ctx: NativeContext): ReaderInfo[] {
  try {
    return ctx.listReaders().map((r) => info(r.name, r.state, r.atr));
  } catch (e) {
    throw pcscError(e);
  }
}

/** Every reader pcscd reports, with its card state. Empty when none is plugged in. */
export function listReaders(): Promise<ReaderInfo[]> {
  return withContext(snapshot);
}

/**
 * The reader for one read: the one named, or, when none is named, the only reader with a
 * card on it. Fails with a list of the readers when the choice is not clear.
 */
export async function chooseReader(wanted?: string): Promise<ReaderInfo> {
  const readers = await listReaders();
  const names = readers.map((r) => r.name);
  if (wanted !== undefined) {
    const r = readers.find((x) => x.name === wanted);
    if (!r) throw noReader(wanted, names);
    return r;
  }
  if (readers.length === 0) throw noReader(undefined, []);
  const withCard = readers.filter((r) => r.present);
  if (withCard.length === 1) return withCard[0]!;
  if (withCard.length === 0) {
    if (readers.length === 1) return readers[0]!;
    throw new IdkError(
      'NO_CARD',
      {
        vi: `Chưa có thẻ trên đầu đọc nào: đặt thẻ lên một đầu đọc (${names.map((n) => `"${n}"`).join(', ')}).`,
        en: `No card on any reader: place the card on one of them (${names.map((n) => `"${n}"`).join(', ')}).`,
      },
      { detail: { readers: names } },
    );
  }
  const list = withCard.map((r) => `"${r.name}"`).join(', ');
  throw new IdkError(
    'SEVERAL_CARDS',
    {
      vi: `Có thẻ trên nhiều đầu đọc (${list}): chọn một bằng --reader TÊN, hoặc nhấc bớt thẻ.`,
      en: `Cards lie on several readers (${list}): choose one with --reader NAME, or lift the others.`,
    },
    { detail: { readers: withCard.map((r) => r.name) } },
  );
}

/** pcsc-lite's pseudo reader whose state changes when a reader is attached or detached. */
const PNP = '\\\\?PnP?\\Notification';

export type ReaderEvent =
  | { type: 'reader-attached' | 'reader-detached' | 'card-removed'; reader: string }
  | { type: 'card-inserted'; reader: string; atr?: string; mute: boolean }
  | { type: 'error'; error: IdkError };

export interface WatchOptions {
  /** How long one wait on pcscd lasts before the reader list is read again, ms. */
  pollMs?: number;
  /** How long to wait before retrying after pcscd went away, ms. */
  retryMs?: number;
}

export interface Watcher {
  /** The last state seen of each reader. */
  readonly readers: ReadonlyMap<string, ReaderInfo>;
  /** Settles once the first look at pcscd has been reported (its readers and cards, or its absence). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Watches pcscd and reports changes. Readers and cards present at start are reported as
 * attached/inserted. When pcscd goes away an `error` event (PCSCD_NOT_RUNNING) is sent
 * once, the readers are reported detached, and watching resumes when it is back.
 */
export function watchReaders(onEvent: (e: ReaderEvent) => void, options: WatchOptions = {}): Watcher {
  const pollMs = options.pollMs ?? 1000;
  const retryMs = options.retryMs ?? 1000;
  const known = new Map<string, ReaderInfo & { state: number }>();
  let ctx: NativeContext | undefined;
  let running = true;
  let pnpState = 0;
  let downReported = false;

  const emit = (e: ReaderEvent) => {
    try {
      onEvent(e);
    } catch {
      // A listener's failure is its own; the watcher keeps watching.
    }
  };

  const update = (name: string, state: number, atr: Uint8Array | null | undefined) => {
    const before = known.get(name);
    const now = { ...info(name, state, atr), state };
    known.set(name, now);
    if (!before) emit({ type: 'reader-attached', reader: name });
    // The upper 16 bits count card events: a change with the card still present means it left and came back.
    const replaced = before?.present && now.present && before.state >>> 16 !== state >>> 16;
    if (before?.present && (!now.present || replaced)) emit({ type: 'card-removed', reader: name });
    if (now.present && (!before?.present || replaced)) emit({ type: 'card-inserted', reader: name, atr: now.atr, mute: now.mute });
  };

  const dropAll = () => {
    for (const [name, r] of known) {
      if (r.present) emit({ type: 'card-removed', reader: name });
      emit({ type: 'reader-detached', reader: name });
    }
    known.clear();
  };

  let firstLook: () => void = () => undefined;
  const ready = new Promise<void>((r) => (firstLook = r));
  const loop = async () => {
    while (running) {
      try {
        ctx ??= await openContext();
        const list = ctx.listReaders();
        downReported = false;
        const names = new Set(list.map((r) => r.name));
        for (const name of [...known.keys()]) {
          if (names.has(name)) continue;
          if (known.get(name)!.present) emit({ type: 'card-removed', reader: name });
          known.delete(name);
          emit({ type: 'reader-detached', reader: name });
        }
        for (const r of list) update(r.name, r.state, r.atr);
        firstLook();
        const states = [...known.values()].map((r) => ({ name: r.name, state: r.state & ~STATE.CHANGED, changed: false, atr: null }));
        states.push({ name: PNP, state: pnpState, changed: false, atr: null });
        const t0 = Date.now();
        const changes = await ctx.waitForChange(states, pollMs);
        if (changes === null) continue; // cancelled by stop()
        if (changes.length === 0 && Date.now() - t0 < pollMs / 2) {
          // An immediate empty answer is how the binding reports a lost daemon: look again after a pause.
          await sleep(Math.min(retryMs, pollMs));
          continue;
        }
        for (const c of changes) {
          if (c.name === PNP) pnpState = c.state & ~STATE.CHANGED;
          else if (known.has(c.name) && c.state & STATE.CHANGED && !(c.state & (STATE.UNKNOWN | STATE.UNAVAILABLE))) update(c.name, c.state, c.atr);
        }
      } catch (e) {
        const err = pcscError(e);
        ctx?.close();
        ctx = undefined;
        dropAll();
        if (!downReported) emit({ type: 'error', error: err });
        downReported = true;
        firstLook();
        await sleep(retryMs);
      }
    }
  };
  const done = loop().finally(firstLook);
  return {
    readers: known,
    ready,
    async stop() {
      running = false;
      try {
        ctx?.cancel();
      } catch {
        // pcscd already gone.
      }
      await done;
      ctx?.close();
      ctx = undefined;
    },
  };
}

/**
 * Resolves when a card is present on `reader`, or fails after `timeoutMs` with NO_CARD
 * (or NO_READER / PCSCD_NOT_RUNNING when those are the reason).
 */
export async function waitForCard(reader: string, timeoutMs: number): Promise<ReaderInfo> {
  const deadline = Date.now() + timeoutMs;
  const ctx = await openContext();
  try {
    for (;;) {
      let raw;
      try {
        raw = ctx.listReaders();
      } catch (e) {
        throw pcscError(e, { reader });
      }
      const names = raw.map((x) => x.name);
      const r = raw.find((x) => x.name === reader);
      if (!r) throw noReader(reader, names);
      const now = info(r.name, r.state, r.atr);
      if (now.present && !now.mute) return now;
      const left = deadline - Date.now();
      if (left <= 0) throw noCard(reader, names);
      const t0 = Date.now();
      const changes = await ctx.waitForChange([{ name: reader, state: r.state & ~STATE.CHANGED, changed: false, atr: null }], Math.min(left, 500)).catch((e: unknown) => {
        throw pcscError(e, { reader });
      });
      // An immediate empty answer is how the binding reports a lost daemon: the list above will say.
      if (changes !== null && changes.length === 0 && Date.now() - t0 < 100) await sleep(100);
    }
  } finally {
    ctx.close();
  }
}
