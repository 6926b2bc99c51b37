// The PC/SC binding, loaded on first use: the native addon links libpcsclite at load
// time, and a machine without it must still run every command that needs no reader.
//
// Why `smartcard`: N-API (ABI-stable, no rebuild for Electron), promise-based with types,
// maintained, and lets transmit take a receive buffer large enough for extended length;
// `@pokusew/pcsclite` (the design's first idea) busy-waits at ~93% CPU while pcscd is down.
import type { ContextInterface } from 'smartcard';
import { libraryMissing, pcscError } from './errors.js';

type Binding = typeof import('smartcard');
export type { CardInterface as NativeCard, ContextInterface as NativeContext, ReaderInterface as NativeReader } from 'smartcard';

let loaded: Promise<Binding> | undefined;

export function binding(): Promise<Binding> {
  loaded ??= import('smartcard').then(
    // CommonJS: the module object is the default export.
    (m) => (m as unknown as { default: Binding }).default,
    (e: unknown) => {
      loaded = undefined;
      throw libraryMissing(e);
    },
  );
  return loaded;
}

/** A fresh PC/SC context; fails with PCSCD_NOT_RUNNING when the daemon is down. */
export async function openContext(): Promise<ContextInterface> {
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
