// Today's history from the real store: subjects opened in main only to mask them and match
// the last digits; nothing from before midnight or past the retention period; newest first.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskName, maskNumber, todaysHistory } from '../../main/kiosk/history.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';

describe("today's history", () => {
  it('masks names to initials and numbers to their last four', () => {
    expect(maskName('Lê Thị Mẫu')).toBe('L. T. M.');
    expect(maskName('  ÉLODIE   marie ')).toBe('É. M.');
    expect(maskName(undefined)).toBe('—');
    expect(maskNumber('000190012345')).toBe('********2345');
    expect(maskNumber('C01')).toBe('***');
  });

  it('lists only today within the retention period, newest first, and finds by the last digits', () => {
    let now = new Date(2026, 11, 3, 23, 0).getTime();
    const store = openLocalStore({ dataDir: mkdtempSync(join(tmpdir(), 'idk-hist-')), retentionMs: 3 * 3600_000, now: () => now });
    try {
      const at = (h: number, m = 0) => new Date(2026, 11, 3, h, m).getTime();
      const yesterday = new Date(2026, 11, 2, 22, 0).getTime();
      const people = [0, 1, 2, 3].map((i) => syntheticVerification(i));
      recordVerification(store, { ...people[0]!, at: yesterday });
      recordVerification(store, { ...people[1]!, at: at(19) }); // today, but older than 3 h
      recordVerification(store, { ...people[2]!, at: at(21), holder: { ...people[2]!.holder, idNumber: '001099000777', fullName: 'Trần Văn Bình' } });
      recordVerification(store, { ...people[3]!, at: at(22, 30), result: 'rejected' });
      const h = todaysHistory(store);
      expect(h.rows.map((r) => r.at)).toEqual([new Date(at(22, 30)).toISOString(), new Date(at(21)).toISOString()]);
      expect(h.rows[0]!.outcome).toBe('rejected');
      expect(h.rows[1]).toMatchObject({ name: 'T. V. B.', number: '********0777' });
      expect(JSON.stringify(h)).not.toContain('001099000777');
      expect(JSON.stringify(h)).not.toContain('Bình');
      expect(todaysHistory(store, { last: '0777' }).rows).toHaveLength(1);
      expect(todaysHistory(store, { last: '1234567' }).rows).toHaveLength(0);
      expect(h.since).toBe(new Date(at(20)).toISOString());
      // Past midnight, yesterday's rows are gone from the list.
      now = new Date(2026, 11, 4, 0, 30).getTime();
      expect(todaysHistory(store).rows).toHaveLength(0);
    } finally {
      store.close();
    }
  });
});
