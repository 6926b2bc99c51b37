// Today's verifications for staff (behind the PIN): time, outcome, masked name and ID number,
// reader. The store keeps the person sealed (offline-cache: secretbox under the device's data
// key) and so does this: subjects are opened here, in main, only to mask them and to match the
// last digits a clerk searches for; the screen never receives a full name or number. Only what
// the store still holds, from today and within the retention period, is listed.
import { openField } from '../../offline-cache/crypto-box.js';
import type { EventBody, Subject } from '../../offline-cache/events.js';
import { type LocalStore, stmt } from '../../offline-cache/store.js';
import type { HistoryView } from '../api/contract.js';

/** Initials only: "Lê Thị Mẫu" -> "L. T. M.". */
export function maskName(full: string | undefined): string {
  if (!full) return '—';
  return full
    .normalize('NFC')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => `${[...w][0]!.toUpperCase()}.`)
    .join(' ');
}

/** The last four characters only: "000190012345" -> "********2345". */
export function maskNumber(n: string | undefined): string {
  if (!n) return '—';
  return n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 4)}${n.slice(-4)}`;
}

export function todaysHistory(store: LocalStore, o: { last?: string; now?: number } = {}): HistoryView {
  const now = o.now ?? store.now();
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const since = Math.max(midnight.getTime(), now - store.retentionMs);
  const rows = stmt(store, 'SELECT id, at, body, subject FROM events WHERE at >= ? ORDER BY at DESC').all(since) as Array<{ id: string; at: number; body: string; subject: Uint8Array }>;
  const out: HistoryView['rows'] = [];
  for (const r of rows) {
    const body = JSON.parse(r.body) as EventBody;
    let subject: Subject | undefined;
    try {
      subject = JSON.parse(new TextDecoder().decode(openField(store.keys.dataKey, r.subject))) as Subject;
    } catch {
      // A subject that does not open stays out of sight; the row still counts.
    }
    const number = subject?.idNumber ?? subject?.documentNumber;
    if (o.last && !(number ?? '').endsWith(o.last)) continue;
    out.push({
      id: r.id,
      at: new Date(r.at).toISOString(),
      outcome: body.result,
      override: body.staff?.override !== undefined,
      name: maskName(subject?.fullName),
      number: maskNumber(number),
      reader: body.reader,
    });
  }
  return { rows: out, since: new Date(since).toISOString(), retentionDays: Math.round(store.retentionMs / 86_400_000) };
}
