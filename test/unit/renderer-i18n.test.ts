// The renderer's formatting helpers: dates and names the Vietnamese way, and the two
// string tables kept in step (a key missing in one language would show `undefined`).
import { describe, expect, it } from 'vitest';
import { STRINGS, ageOn, vnDate, vnDateTime, vnName } from '../../renderer/i18n.js';

function keys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'function' ? [`${prefix}${k}()`] : keys(v, `${prefix}${k}.`)));
}

describe('renderer i18n', () => {
  it('shows ISO dates as dd/mm/yyyy and leaves words as written', () => {
    expect(vnDate('1990-02-28')).toBe('28/02/1990');
    expect(vnDate('Không thời hạn')).toBe('Không thời hạn');
    expect(vnDate(null)).toBe('—');
  });

  it('shows instants in local time as HH:MM dd/mm/yyyy', () => {
    const local = new Date(2026, 10, 27, 7, 5, 0);
    expect(vnDateTime(local.toISOString())).toBe('07:05 27/11/2026');
    expect(vnDateTime('not a date')).toBe('—');
    expect(vnDateTime(null)).toBe('—');
  });

  it('puts the family name first and drops MRZ fillers', () => {
    expect(vnName('NGUYEN', 'VAN<<AN')).toBe('NGUYEN VAN AN');
  });

  it('counts age in whole years, not before the birthday', () => {
    expect(ageOn('2000-11-28', new Date(2026, 10, 27))).toBe(25);
    expect(ageOn('2000-11-27', new Date(2026, 10, 27))).toBe(26);
  });

  it('has the same keys in Vietnamese and English', () => {
    expect(keys(STRINGS.en).sort()).toEqual(keys(STRINGS.vi).sort());
  });
});
