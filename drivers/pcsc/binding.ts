// The PC/SC binding, loaded on first use: the native addon links libpcsclite at load
// time, and a machine without it must still run every command that needs no reader.
//
// Why `smartcard`: N-API (ABI-stable, no rebuild for Electron), promise-based with types,
// maintained, and lets transmit take a receive buffer large enough for extended length;
// `@pokusew/pcsclite` (the design's first idea) busy-waits at ~93% CPU while pcscd is down.
//
// It is an optional dependency (docs/readers.md): its build needs the PC/SC headers
// (libpcsclite-dev), and `npm ci` on a machine without them must still install the rest.
// npm then leaves the package out altogether, types included, so the part of its API we
// use is declared here; test/unit/pcsc-binding.test.ts checks that the real package's
// declarations satisfy it wherever the package is installed.
import { createRequire } from 'node:module';
import { bindingMissing, libraryMissing, pcscError } from './errors.js';

/** One reader as `Context.listReaders()` returns it (smartcard's `Reader`). */
interface NativeReader {
  readonly name: string;
  readonly state: number;
  readonly atr: Buffer | null;
  connect(shareMode?: number, protocol?: number): Promise<NativeCard>;
}

/** A connected card (smartcard's `Card`). */
export interface NativeCard {
  readonly protocol: number;
  readonly atr: Buffer | null;
  transmit(command: Buffer | number[], options?: { maxRecvLength?: number }): Promise<Buffer>;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
  disconnect(disposition?: number): void;
}

/** A reader's state as `waitForChange` takes and returns it (smartcard's `ReaderState`). */
interface NativeReaderState {
  name: string;
  state: number;
  changed: boolean;
  atr: Buffer | null;
}

/** A PC/SC context (smartcard's `Context`). */
export interface NativeContext {
  listReaders(): NativeReader[];
  waitForChange(readers?: NativeReaderState[], timeout?: number): Promise<NativeReaderState[] | null>;
  cancel(): void;
  close(): void;
}

/** The module's exports this project uses. */
export interface Binding {
  Context: new () => NativeContext;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
}

/** The npm package, and what `npm install` must build for it. */
const BINDING_PACKAGE = 'smartcard';

let loaded: Promise<Binding> | undefined;

/** Why the binding could not load: the package is absent (not built), or it is there but libpcsclite is not. */
export function bindingLoadError(e: unknown): ReturnType<typeof libraryMissing> {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'MODULE_NOT_FOUND') {
    // npm drops an optional package whose build failed: `npm install` tries it again. A package
    // that is there without its compiled addon (a skipped build) only needs that build.
    const whole = err.message.includes(`'${BINDING_PACKAGE}'`);
    return bindingMissing(whole ? 'npm install' : `npm rebuild ${BINDING_PACKAGE}`, e);
  }
  // The addon is there but the system library it links (libpcsclite.so.1) is not.
  return libraryMissing(e);
}

export function binding(): Promise<Binding> {
  loaded ??= new Promise<Binding>((resolve) => {
    // CommonJS, loaded through require so a missing package is a runtime condition, not a compile error.
    resolve(createRequire(import.meta.url)(BINDING_PACKAGE) as Binding);
  }).catch((e: unknown) => {
    loaded = undefined;
    throw bindingLoadError(e);
  });
  return loaded;
}

/** A fresh PC/SC context; fails with PCSCD_NOT_RUNNING when the daemon is down. */
export async function openContext(): Promise<NativeContext> {
  const b = await binding();
  try {
    return new b.Context();
  } catch (e) {
    throw pcscError(e);
  }
}

/** Reader and card state flags of PC/SC (SCARD_STATE_*), the same values on every pcsc-lite. */
export const STATE = {
  CHANGED: 0x2,
  UNKNOWN: 0x4,
  UNAVAILABLE: 0x8,
  EMPTY: 0x10,
  PRESENT: 0x20,
  EXCLUSIVE: 0x80,
  INUSE: 0x100,
  MUTE: 0x200,
} as const;
