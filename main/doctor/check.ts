// What one doctor check says: a status, what it found, and (when not ok) what to do, each
// in Vietnamese and English. Checks never throw: a check that breaks is itself a failure.
import type { Messages } from '../../core/errors.js';

type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: Messages;
  fix?: Messages;
}

/** What the checks look at: the station's own options (those of `idkiosk start`). */
export interface DoctorContext {
  /** The data folder the kiosk would use (demo: its `demo/` folder). */
  dataDir: string;
  trust?: string;
  sync?: string;
  reader?: string;
  qrSerial?: string;
  face: boolean;
  /** Demo mode: no reader needed, so reader problems are warnings. */
  demo: boolean;
  now: () => number;
}

export function msg(vi: string, en: string): Messages {
  return { vi, en };
}

export function ok(id: string, message: Messages): CheckResult {
  return { id, status: 'ok', message };
}

export function warn(id: string, message: Messages, fix: Messages): CheckResult {
  return { id, status: 'warn', message, fix };
}

export function fail(id: string, message: Messages, fix: Messages): CheckResult {
  return { id, status: 'fail', message, fix };
}

/** An error's text for a message: its own vi/en for an IdkError, else its message in both. */
export function errorText(e: unknown): Messages {
  const m = (e as { messages?: Messages })?.messages;
  if (m && typeof m.vi === 'string' && typeof m.en === 'string') return m;
  const t = (e as Error)?.message ?? String(e);
  return { vi: t, en: t };
}

export function bytesText(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n >= 10 || i === 0 ? 0 : 1)} ${u[i]}`;
}

export function dateText(d: Date): string {
  return d.toISOString().slice(0, 10);
}
